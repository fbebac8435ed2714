// Package defaults fills in the unset fields of an options struct.
package defaults

// Number is a type whose unset and nonsensical values are zero and below.
type Number interface {
	~int | ~int64 | ~float64
}

// Positive sets *v to d unless *v is above zero, the rule of every option
// that is a size, a count, a rate or a time limit: zero means the default,
// and a negative value is no more meaningful than zero.
func Positive[T Number](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
