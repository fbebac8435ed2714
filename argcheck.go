package ironcurtain

import (
	"math"
	"strconv"
)

// DefaultMaxArgumentBytes is the default cap on the size of a call's
// arguments.
const DefaultMaxArgumentBytes = 4 << 20

// maxArgumentDepth bounds how deeply arguments may nest. Tool schemas need a
// handful of levels; the bound keeps every recursive walk over hostile
// arguments (validation, hashing, redaction, encoding) shallow.
const maxArgumentDepth = 64

// argProblem is what measureArguments found wrong.
type argProblem uint8

const (
	argsOK argProblem = iota
	argsTooLarge
	argsTooDeep
	argsNotJSON
)

// argWalk measures arguments without allocating: the size they have as
// compact JSON, counting each string by its UTF-8 length (escapes are not
// counted, so this is the size the decoded arguments hold in memory, a lower
// bound of their encoded size). It stops as soon as the size passes limit or
// a value is not JSON.
type argWalk struct {
	limit int
	size  int
}

// measureArguments checks args against the size limit and the depth bound,
// and checks that every value is one encoding/json produces: nil, bool, a
// finite float64, string, []any, map[string]any.
func measureArguments(args map[string]any, limit int) (int, argProblem, string) {
	w := argWalk{limit: limit}
	w.size = 2 // {}
	for k, v := range args {
		w.size += len(k) + 4 // "k": and a comma
		if p := w.value(v, 1); p != argsOK {
			return w.size, p, k
		}
		if w.size > w.limit {
			return w.size, argsTooLarge, k
		}
	}
	if w.size > w.limit {
		return w.size, argsTooLarge, ""
	}
	return w.size, argsOK, ""
}

func (w *argWalk) value(v any, depth int) argProblem {
	if depth > maxArgumentDepth {
		return argsTooDeep
	}
	switch x := v.(type) {
	case nil:
		w.size += 4
	case bool:
		w.size += 5
	case string:
		w.size += len(x) + 2
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return argsNotJSON
		}
		var buf [32]byte
		w.size += len(strconv.AppendFloat(buf[:0], x, 'g', -1, 64))
	case []any:
		w.size += 2
		for _, e := range x {
			w.size++
			if p := w.value(e, depth+1); p != argsOK {
				return p
			}
			if w.size > w.limit {
				return argsTooLarge
			}
		}
	case map[string]any:
		w.size += 2
		for k, e := range x {
			w.size += len(k) + 4
			if p := w.value(e, depth+1); p != argsOK {
				return p
			}
			if w.size > w.limit {
				return argsTooLarge
			}
		}
	default:
		return argsNotJSON
	}
	if w.size > w.limit {
		return argsTooLarge
	}
	return argsOK
}
