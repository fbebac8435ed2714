package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/tools/web"
)

// Fetch a page from a local server. Everything local is refused by
// default, so the example allows loopback and the server's port
// explicitly; a real deployment leaves both at their zero values.
func Example() {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<html><head><title>Hello</title></head><body>
<nav>Home | About</nav>
<main><h1>Hello</h1><p>A <b>contained</b> fetch.</p>
<table><tr><th>tool</th><th>server</th></tr><tr><td>http_fetch</td><td>fetch</td></tr></table></main>
</body></html>`)
	}))
	defer site.Close()
	u, err := url.Parse(site.URL)
	if err != nil {
		log.Fatal(err)
	}
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil {
		log.Fatal(err)
	}

	srv, err := web.New(web.Options{
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		AllowPorts:    []uint16{uint16(port)},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	res, err := srv.Call(context.Background(), ironcurtain.ToolCall{
		Server:    web.ServerName,
		Tool:      web.ToolFetch,
		Arguments: map[string]any{"url": site.URL},
	})
	if err != nil {
		log.Fatal(err)
	}
	var out struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Body   string `json:"body"`
	}
	if err := json.Unmarshal(res.Structured, &out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Status, out.Title)
	fmt.Println(out.Body)

	// The same server refuses the cloud metadata endpoint.
	res, err = srv.Call(context.Background(), ironcurtain.ToolCall{
		Tool:      web.ToolFetch,
		Arguments: map[string]any{"url": "http://169.254.169.254/latest/meta-data/"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.IsError, res.Text())
	// Output:
	// 200 Hello
	// # Hello
	//
	// A **contained** fetch.
	//
	// | tool        | server |
	// |-------------|--------|
	// | http\_fetch | fetch  |
	// true http_fetch: refused: the host is a cloud metadata address (169.254.169.254/32); internal and non-public addresses cannot be fetched
}

// CheckAddr is the pure check behind the dialer.
func ExampleCheckAddr() {
	for _, s := range []string{"93.184.216.34", "10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe"} {
		err := web.CheckAddr(netip.MustParseAddr(s))
		fmt.Println(s, err == nil)
	}
	// Output:
	// 93.184.216.34 true
	// 10.0.0.1 false
	// ::ffff:127.0.0.1 false
	// 64:ff9b::a9fe:a9fe false
}
