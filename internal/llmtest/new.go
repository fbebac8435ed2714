package llmtest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// NewFunc builds a provider's Model from a model name, an API key and a
// base URL, the options every provider's New requires or checks.
type NewFunc func(model string, key ironcurtain.Secret, baseURL string) (interface{ Name() string }, error)

// RunNewTests checks the options a provider's New refuses: no model, and
// no API key unless a base URL is given (a proxy that adds the key, or a
// local server that needs none). With one, the Model's name is prefix and
// the model's name.
func RunNewTests(t *testing.T, prefix, baseURL string, newModel NewFunc) {
	t.Helper()
	_, err := newModel("", ironcurtain.NewSecret("k"), "")
	require.ErrorContains(t, err, "no model")
	_, err = newModel("m", ironcurtain.Secret{}, "")
	require.ErrorContains(t, err, "no API key")
	m, err := newModel("m", ironcurtain.Secret{}, baseURL)
	require.NoError(t, err, "a base URL needs no key")
	require.Equal(t, prefix+"m", m.Name())
}
