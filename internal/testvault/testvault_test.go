package testvault

import (
	"context"
	"errors"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
)

func TestMap(t *testing.T) {
	m := Map{"a": "x", "empty": ""}
	if s, err := m.Credential(context.Background(), "empty"); err != nil || !s.IsZero() {
		t.Fatalf("Credential(empty) = %v, %v; want the empty value", s, err)
	}
	if _, err := m.Credential(context.Background(), "b"); !errors.Is(err, ironcurtain.ErrNoCredential) {
		t.Fatalf("Credential(b) error = %v, want ErrNoCredential", err)
	}
	if all, err := m.Secrets(context.Background()); err != nil || len(all) != 2 {
		t.Fatalf("Secrets = %v, %v; want 2", all, err)
	}
}
