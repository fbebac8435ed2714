package compile

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// cell is one (server, tool, role) a rule can decide; role is "" for a
// tool without resource roles, which is judged as a whole.
type cell struct {
	server, tool string
	role         policy.Role
}

// region is the set of calls a rule can match: the cells it is consulted
// for, and the directory and domains its values must lie in.
type region struct {
	cells   map[cell]bool
	within  string   // "" means anywhere
	domains []string // nil means any domain
	lists   []policy.ListCondition
}

// regionOf works out a rule's region from its conditions and the tools'
// annotations, following the engine's relevance rules.
func regionOf(r policy.Rule, ix *annIndex) *region {
	reg := &region{cells: map[cell]bool{}, lists: r.If.Lists}
	c := r.If
	if c.Paths != nil {
		reg.within = c.Paths.Within
	}
	if c.Domains != nil {
		reg.domains = c.Domains.Allowed
	}
	// scope: the roles the rule is consulted for; nil means every role.
	var scope []policy.Role
	narrow := func(roles []policy.Role) {
		if scope == nil {
			scope = slices.Clone(roles)
			return
		}
		scope = slices.DeleteFunc(scope, func(r policy.Role) bool { return !slices.Contains(roles, r) })
	}
	scoped := false
	if c.Roles != nil {
		narrow(c.Roles)
		scoped = true
	}
	if c.Paths != nil {
		narrow(c.Paths.Roles)
		scoped = true
	}
	if c.Domains != nil {
		narrow(c.Domains.Roles)
		scoped = true
	}
	if len(c.Lists) > 0 {
		var any []policy.Role
		for _, l := range c.Lists {
			any = addRoles(any, l.Roles)
		}
		narrow(any)
		scoped = true
	}
	for _, server := range ix.servers {
		if c.Server != nil && !slices.Contains(c.Server, server) {
			continue
		}
		for _, t := range ix.tools[server] {
			if c.Tool != nil && !slices.Contains(c.Tool, t.name) {
				continue
			}
			if c.Roles != nil && !slices.ContainsFunc(c.Roles, func(r policy.Role) bool { return slices.Contains(t.possible, r) }) {
				continue
			}
			if len(t.resource) == 0 {
				if c.Paths == nil && c.Domains == nil {
					reg.cells[cell{server, t.name, ""}] = true
				}
				continue
			}
			for _, role := range t.resource {
				if !scoped || slices.Contains(scope, role) {
					reg.cells[cell{server, t.name, role}] = true
				}
			}
		}
	}
	return reg
}

// placeCovers: every value b's place admits, a's place admits too.
func placeCovers(a, b *region) bool {
	if a.within != "" && (b.within == "" || !pathUnder(b.within, a.within)) {
		return false
	}
	if !domainsCover(a.domains, b.domains) {
		return false
	}
	return a.lists == nil || reflect.DeepEqual(a.lists, b.lists)
}

func cellsCover(a, b *region) bool {
	for c := range b.cells {
		if !a.cells[c] {
			return false
		}
	}
	return true
}

// overlap reports whether two rules may both match some value of some
// call (conservatively: true when unsure).
func overlap(a, b *region) bool {
	shared := false
	for c := range a.cells {
		if b.cells[c] {
			shared = true
			break
		}
	}
	return shared && pathsMayMeet(a.within, b.within) && domainsMayMeet(a.domains, b.domains)
}

// relation is how two overlapping rules stand to each other.
type relation uint8

const (
	relNarrower     relation = iota // a's place lies within b's, or a decides fewer cells in the same place
	relWider                        // the other way round
	relSame                         // same place and same cells
	relCrossCells                   // same place, cells neither within the other
	relIncomparable                 // places neither within the other
)

func relate(a, b *region) relation {
	pa, pb := placeCovers(b, a), placeCovers(a, b) // pa: a's place within b's
	switch {
	case pa && !pb:
		return relNarrower
	case pb && !pa:
		return relWider
	case !pa && !pb:
		return relIncomparable
	}
	ca, cb := cellsCover(b, a), cellsCover(a, b)
	switch {
	case ca && cb:
		return relSame
	case ca:
		return relNarrower
	case cb:
		return relWider
	}
	return relCrossCells
}

// before reports whether a must come before b when they overlap: the
// narrower place first; in the same place, the rule about fewer actions
// first; otherwise the stricter verdict first; otherwise the order written.
// Two rules written by the model keep the model's order.
func before(a, b *entry) bool {
	if a.model && b.model {
		return a.pos < b.pos
	}
	switch relate(a.reg, b.reg) {
	case relNarrower:
		return true
	case relWider:
		return false
	case relSame, relCrossCells:
		if a.rule.Then.Stricter(b.rule.Then) {
			return true
		}
		if b.rule.Then.Stricter(a.rule.Then) {
			return false
		}
	}
	return earlier(a, b)
}

func earlier(a, b *entry) bool {
	if a.line != b.line {
		return a.line < b.line
	}
	if a.model != b.model {
		return !a.model
	}
	return a.pos < b.pos
}

// cycleError reports rules that cannot be ordered so that each comes
// before the ones it must precede.
type cycleError struct {
	// Rules are the rules caught in the cycle, with their lines.
	Rules []string
}

func (e *cycleError) Error() string {
	return "these rules cannot be ordered consistently (each must come before the next): " + strings.Join(e.Rules, ", ")
}

// order sorts entries so that first-match-per-role gives each sentence its
// meaning: for every overlapping pair, the one that must come first does.
// Among entries free to go anywhere, the order written is kept. Regions
// must be set.
func order(es []entry) ([]entry, error) {
	n := len(es)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return earlier(&es[idx[i]], &es[idx[j]]) })
	succ := make([][]int, n)
	indeg := make([]int, n)
	for x := 0; x < n; x++ {
		for y := x + 1; y < n; y++ {
			a, b := &es[idx[x]], &es[idx[y]]
			if !overlap(a.reg, b.reg) {
				continue
			}
			if before(a, b) {
				succ[x] = append(succ[x], y)
				indeg[y]++
			} else {
				succ[y] = append(succ[y], x)
				indeg[x]++
			}
		}
	}
	out := make([]entry, 0, n)
	done := make([]bool, n)
	for len(out) < n {
		next := -1
		for x := 0; x < n; x++ {
			if !done[x] && indeg[x] == 0 {
				next = x
				break
			}
		}
		if next < 0 {
			var names []string
			for x := 0; x < n; x++ {
				if !done[x] {
					e := &es[idx[x]]
					names = append(names, fmt.Sprintf("%s (line %d)", e.rule.Name, e.line))
				}
			}
			return nil, &cycleError{Rules: names}
		}
		done[next] = true
		out = append(out, es[idx[next]])
		for _, y := range succ[next] {
			indeg[y]--
		}
	}
	return out, nil
}

// conflicts describes pairs of sentence rules that overlap with different
// verdicts where neither is plainly the exception to the other, so that a
// person can check the compiler's reading.
func conflicts(es []entry) []Diagnostic {
	var out []Diagnostic
	for i := range es {
		for j := i + 1; j < len(es); j++ {
			a, b := &es[i], &es[j]
			if a.model || b.model || a.line == b.line || a.rule.Then == b.rule.Then || !overlap(a.reg, b.reg) {
				continue
			}
			first, second := a, b
			if !before(a, b) {
				first, second = b, a
			}
			var msg string
			switch relate(a.reg, b.reg) {
			case relSame:
				msg = fmt.Sprintf("line %d and line %d say different things about the same calls; the stricter, line %d (%s), applies", first.line, second.line, first.line, first.rule.Then)
			case relCrossCells:
				msg = fmt.Sprintf("line %d and line %d overlap in the same place; where both apply the stricter, line %d (%s), decides", first.line, second.line, first.line, first.rule.Then)
			case relIncomparable:
				msg = fmt.Sprintf("line %d and line %d overlap and neither is narrower; where both apply the earlier, line %d (%s), decides", first.line, second.line, first.line, first.rule.Then)
			default:
				continue
			}
			out = append(out, Diagnostic{Line: second.line, Severity: Warning, Sentence: second.rule.Principle, Message: msg})
		}
	}
	return out
}
