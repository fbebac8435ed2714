package llm_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/proxy/llm"
	"github.com/ironcurtain-go/ironcurtain/vault"
)

// A session refuses what the allowlist does not name, and requests without
// its fake key, before anything leaves the host.
func Example() {
	ca, err := llm.NewCA()
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := llm.New(llm.Options{
		CA:    ca,
		Vault: vault.Map{"ANTHROPIC_API_KEY": ironcurtain.NewSecret("sk-ant-api03-real")},
		Audit: func(r llm.Record) { fmt.Println("audit:", r.Method, r.Path, r.Status) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := p.NewSession("example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)

	fmt.Println(strings.HasPrefix(s.FakeKey("anthropic"), "sk-ant-api03-"))
	base := "http://" + ln.Addr().String() + "/anthropic"
	for _, tc := range []struct{ path, key string }{
		{"/v1/files", s.FakeKey("anthropic")},  // not on the allowlist
		{"/v1/messages", ""},                   // no key
		{"/v1/messages", "sk-ant-api03-guess"}, // not the session's key
	} {
		req, _ := http.NewRequest("POST", base+tc.path, strings.NewReader("{}"))
		if tc.key != "" {
			req.Header.Set("x-api-key", tc.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
	}
	// Output:
	// true
	// audit: POST /v1/files 403
	// audit: POST /v1/messages 401
	// audit: POST /v1/messages 403
}
