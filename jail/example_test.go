package jail_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/ironcurtain-go/ironcurtain/jail"
)

// A program jailed with a project directory read-write and nothing else:
// no home directory, no network. (No Output comment: whether it runs
// depends on the kernel, see the escape tests for the checked behaviour.)
func ExampleCommand() {
	project, err := os.MkdirTemp("", "project")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(project)

	c, err := jail.Command(context.Background(), jail.Policy{
		ReadWrite: []string{project},
		Env:       []string{"PATH", "HOME=" + project},
	}, "sh", "-c", `echo ok > "$HOME/out" && cat ~/.ssh/id_rsa`)
	if errors.Is(err, jail.ErrUnsupported) {
		fmt.Println("this kernel cannot jail:", err)
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("enforced:", c.Enforcement)
	out, err := c.CombinedOutput()
	fmt.Printf("%s(%v)\n", out, err) // sh: 1: cannot open /root/.ssh/id_rsa: Permission denied
}

// Check validates a policy and tells what this machine enforces, before
// anything runs: the place to refuse to start, or to write an operator's
// choice to run unsandboxed into the audit log.
func ExampleCheck() {
	_, err := jail.Check(jail.Policy{ReadOnly: []string{"/"}})
	fmt.Println(errors.Is(err, jail.ErrCredentialPath))
	// Output: true
}
