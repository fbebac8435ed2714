package policy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRoleConditionHolds: the exported evaluation is the engine's, strict
// equality and JavaScript truthiness included; a malformed condition holds
// for nothing.
func TestRoleConditionHolds(t *testing.T) {
	args := map[string]any{"mode": "add", "flag": true, "n": 0.0, "obj": map[string]any{"a": 1.0}, "nil": nil}
	for _, tc := range []struct {
		c    RoleCondition
		want bool
	}{
		{RoleCondition{Arg: "mode", Equals: json.RawMessage(`"add"`)}, true},
		{RoleCondition{Arg: "flag", Equals: json.RawMessage(`"true"`)}, false}, // the string is not the boolean
		{RoleCondition{Arg: "flag", Equals: json.RawMessage(`true`)}, true},
		{RoleCondition{Arg: "obj", Equals: json.RawMessage(`{"a":1}`)}, false}, // objects are never ===
		{RoleCondition{Arg: "mode", In: []any{"list", "add"}}, true},
		{RoleCondition{Arg: "missing", In: []any{nil}}, false},
		{RoleCondition{Arg: "nil", Is: "absent"}, true},
		{RoleCondition{Arg: "n", Is: "falsy"}, true},
		{RoleCondition{Arg: "n", Is: "present"}, true},
		{RoleCondition{Arg: "mode", Is: "truthy"}, true},
		{RoleCondition{Arg: "mode", Is: "weird"}, false},                    // malformed
		{RoleCondition{Arg: "mode", Is: "truthy", In: []any{"add"}}, false}, // two operators
		{RoleCondition{Is: "absent"}, false},                                // no argument
		{RoleCondition{Arg: "mode", Equals: json.RawMessage(`{`)}, false},   // bad JSON
	} {
		require.Equal(t, tc.want, tc.c.Holds(args), "%+v", tc.c)
	}
}
