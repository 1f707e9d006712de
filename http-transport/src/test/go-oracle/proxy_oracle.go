// Oracle for the proxy-from-environment rules (R5, R6, R24, R26, R38 on, docs/spec/transport-reach.md):
// the proxy Go's http.ProxyFromEnvironment chooses for a request URL, in the environment this process was
// started with. Go reads the environment once per process (envProxyFunc's sync.Once), so each environment
// of proxy-cases.txt needs its own process: proxy_oracle.sh starts one per case with `env -i` and only
// that case's variables. For each URL given as an argument it prints one line:
//
//	url -> direct | error: Go's error | proxy URL (url.URL.String()), then in brackets the address Go's
//	       Transport dials for it, or its error when it dials nothing
//
// A URL Go cannot parse prints "url -> bad request URL: ...". With -java it prints the rows of
// ProxyOracleTest.CASES instead. Facts only: the Java code is not a copy of Go's. Not run by CI. Run with
// the Go installed here (1.19):
//
//	./proxy_oracle.sh             # proxy-go1.19.8.txt is its output here
//	./proxy_oracle.sh -java       # the rows of ProxyOracleTest
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	java := false
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "-java" {
		java, args = true, args[1:]
	}
	name, urls := args[0], args[1:]
	env := os.Environ()
	sort.Strings(env)
	if java {
		fmt.Printf("            env(%s", strconv.Quote(name))
		for _, e := range env {
			fmt.Printf(", %s", strconv.Quote(e))
		}
		fmt.Printf(",\n")
		for i, u := range urls {
			sep := ","
			if i == len(urls)-1 {
				sep = "),"
			}
			fmt.Printf("                    go(%s, %s)%s\n", strconv.Quote(u), strconv.Quote(choose(u)), sep)
		}
		return
	}
	fmt.Printf("## %s: %s\n", name, strings.Join(quotedAll(env), " "))
	for _, u := range urls {
		fmt.Printf("%s -> %s\n", u, choose(u))
	}
	fmt.Println()
}

func quotedAll(env []string) []string {
	var out []string
	for _, e := range env {
		out = append(out, strconv.Quote(e))
	}
	return out
}

// choose is what Go's Transport asks, ProxyFromEnvironment of a request for u, and, for a proxy, the
// address Go's Transport then dials for it (a request through a Transport whose dialer records the
// address and fails: nothing leaves the machine), or the Transport's error before any dial.
func choose(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "bad request URL: " + err.Error()
	}
	p, err := http.ProxyFromEnvironment(&http.Request{URL: parsed})
	if err != nil {
		return "error: " + err.Error()
	}
	if p == nil {
		return "direct"
	}
	var dialed []string
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed = append(dialed, addr)
			return nil, errors.New("oracle: no dial")
		},
	}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return p.String() + " (request: " + err.Error() + ")"
	}
	_, err = tr.RoundTrip(req)
	if len(dialed) > 0 {
		return p.String() + " (dials " + strconv.Quote(dialed[0]) + ")"
	}
	return p.String() + " (fails: " + err.Error() + ")"
}
