package compile

import (
	"errors"
	"fmt"
	"slices"
)

// applyPatch applies repair operations to the model's rules, by name.
func applyPatch(rules []ruleJSON, ops []opJSON) ([]ruleJSON, error) {
	out := slices.Clone(rules)
	find := func(name string) int {
		return slices.IndexFunc(out, func(r ruleJSON) bool { return r.Name == name })
	}
	insert := func(r ruleJSON, before string) error {
		if before == "" {
			out = append(out, r)
			return nil
		}
		i := find(before)
		if i < 0 {
			return fmt.Errorf("no rule %q to insert before", before)
		}
		out = slices.Insert(out, i, r)
		return nil
	}
	if len(ops) == 0 {
		return nil, errors.New("the patch has no operations")
	}
	for n, op := range ops {
		var err error
		switch op.Op {
		case "add":
			if op.Rule == nil {
				return nil, fmt.Errorf("operation %d: add needs a rule", n+1)
			}
			if find(op.Rule.Name) >= 0 {
				return nil, fmt.Errorf("operation %d: a rule %q exists already", n+1, op.Rule.Name)
			}
			err = insert(*op.Rule, op.Before)
		case "remove":
			i := find(op.Name)
			if i < 0 {
				return nil, fmt.Errorf("operation %d: no rule %q of yours", n+1, op.Name)
			}
			out = slices.Delete(out, i, i+1)
		case "replace":
			i := find(op.Name)
			if i < 0 || op.Rule == nil {
				return nil, fmt.Errorf("operation %d: replace needs one of your rules' names and a rule", n+1)
			}
			if op.Rule.Name != op.Name && find(op.Rule.Name) >= 0 {
				return nil, fmt.Errorf("operation %d: a rule %q exists already", n+1, op.Rule.Name)
			}
			out[i] = *op.Rule
		case "move":
			i := find(op.Name)
			if i < 0 || op.Name == op.Before {
				return nil, fmt.Errorf("operation %d: move needs one of your rules' names", n+1)
			}
			r := out[i]
			out = slices.Delete(out, i, i+1)
			err = insert(r, op.Before)
		default:
			return nil, fmt.Errorf("operation %d: unknown op %q (want add, remove, replace or move)", n+1, op.Op)
		}
		if err != nil {
			return nil, fmt.Errorf("operation %d: %v", n+1, err)
		}
	}
	return out, nil
}
