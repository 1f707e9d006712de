// Command cookies is the Go oracle for the http-transport cookie rules (R12, R18, R21, R22, R25, R34 to R37):
// it replays the scenarios of cases.txt through Go's own Set-Cookie parsing (http.Response.Cookies,
// that is readSetCookies), net/http/cookiejar with a nil public suffix list, and the Cookie header
// rendering of Go's client (Request.AddCookie for each jar cookie, as Client.send does), and prints the
// Cookie header Go would send for each query. With -java it prints the same as rows for
// CookieOracleTest. Not run by CI; see README.md.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type step struct {
	get     bool
	parse   bool // url holds a Set-Cookie field: what Go's readSetCookies makes of it
	url     string
	setLine []string
}

type scenario struct {
	name  string
	steps []step
}

// repeat is cases.txt's macro {{N*text}}: text N times, for fields too long to write out.
var repeat = regexp.MustCompile(`\{\{([0-9]+)\*([^}]*)\}\}`)

// unescape reads a cases.txt field with Go's string escapes (\t, \x01, \u00e9, \\); a bare " is literal.
// The repeat macro is expanded first.
func unescape(s string) string {
	s = repeat.ReplaceAllStringFunc(s, func(m string) string {
		p := repeat.FindStringSubmatch(m)
		n, _ := strconv.Atoi(p[1])
		return strings.Repeat(p[2], n)
	})
	u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad escape in %q: %v\n", s, err)
		os.Exit(2)
	}
	return u
}

func readCases(path string) []scenario {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	var out []scenario
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "case "):
			out = append(out, scenario{name: strings.TrimSpace(line[5:])})
		case strings.HasPrefix(line, "set "):
			s := &out[len(out)-1]
			s.steps = append(s.steps, step{url: unescape(strings.TrimSpace(line[4:]))})
		case strings.HasPrefix(line, "  "):
			s := &out[len(out)-1]
			st := &s.steps[len(s.steps)-1]
			st.setLine = append(st.setLine, unescape(line[2:]))
		case strings.HasPrefix(line, "parse "):
			s := &out[len(out)-1]
			s.steps = append(s.steps, step{parse: true, url: unescape(line[6:])})
		case strings.HasPrefix(line, "get "):
			s := &out[len(out)-1]
			s.steps = append(s.steps, step{get: true, url: unescape(strings.TrimSpace(line[4:]))})
		default:
			fmt.Fprintf(os.Stderr, "cannot read line %q\n", line)
			os.Exit(2)
		}
	}
	return out
}

// javaQuote writes s as a Java expression: a string literal (UTF-16 escapes for anything outside printable
// ASCII), with a run of one unit of up to 32 characters longer than 64 written as "unit".repeat(n).
func javaQuote(s string) string {
	var parts []string
	rs := []rune(s)
	from := 0
	for i := 0; i < len(rs); {
		unit, count := 1, 1
		for l := 1; l <= 32 && i+l <= len(rs); l++ {
			k := 1
			for i+(k+1)*l <= len(rs) && string(rs[i+k*l:i+(k+1)*l]) == string(rs[i:i+l]) {
				k++
			}
			if k > 1 && k*l > count*unit {
				unit, count = l, k
			}
		}
		if unit*count <= 64 {
			i++
			continue
		}
		if from < i {
			parts = append(parts, javaLiteral(string(rs[from:i])))
		}
		parts = append(parts, fmt.Sprintf("%s.repeat(%d)", javaLiteral(string(rs[i:i+unit])), count))
		i += unit * count
		from = i
	}
	if from < len(rs) || len(parts) == 0 {
		parts = append(parts, javaLiteral(string(rs[from:])))
	}
	return strings.Join(parts, " + ")
}

// javaLiteral writes s as a Java string literal.
func javaLiteral(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n': // never \u000a: javac reads Unicode escapes before strings
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := (r-0x10000)>>10+0xd800, (r-0x10000)&0x3ff+0xdc00
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// describe writes the one cookie readSetCookies found, or "dropped", as CookieOracleTest writes ours:
// Max-Age "unset", "delete" (Go's -1, from 0 or less) or seconds; Expires in RFC 3339, UTC, or "unset".
func describe(cs []*http.Cookie) string {
	if len(cs) == 0 {
		return "dropped"
	}
	c := cs[0]
	maxAge := "unset"
	if c.MaxAge < 0 {
		maxAge = "delete"
	} else if c.MaxAge > 0 {
		maxAge = strconv.Itoa(c.MaxAge)
	}
	expires := "unset"
	if !c.Expires.IsZero() {
		expires = c.Expires.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s=%s domain=%s path=%s max-age=%s expires=%s secure=%t httponly=%t",
		c.Name, c.Value, c.Domain, c.Path, maxAge, expires, c.Secure, c.HttpOnly)
}

func main() {
	java := flag.Bool("java", false, "print rows for CookieOracleTest")
	flag.Parse()
	path := "cases.txt"
	if flag.NArg() > 0 {
		path = flag.Arg(0)
	}
	for _, s := range readCases(path) {
		jar, _ := cookiejar.New(nil)
		if *java {
			fmt.Printf("            scenario(%s", javaQuote(s.name))
		} else {
			fmt.Printf("case %s\n", s.name)
		}
		for _, st := range s.steps {
			if st.parse {
				got := describe((&http.Response{Header: http.Header{"Set-Cookie": {st.url}}}).Cookies())
				if *java {
					fmt.Printf(",\n                    parse(%s,\n                            %s)", javaQuote(st.url), javaQuote(got))
				} else {
					fmt.Printf("  parse %q => %s\n", st.url, got)
				}
				continue
			}
			u, err := url.Parse(st.url)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: bad url %q: %v\n", s.name, st.url, err)
				os.Exit(2)
			}
			if !st.get {
				// What Client.send does with a response: resp.Cookies() (readSetCookies), then Jar.SetCookies.
				resp := &http.Response{Header: http.Header{"Set-Cookie": st.setLine}}
				jar.SetCookies(u, resp.Cookies())
				if *java {
					fmt.Printf(",\n                    set(%s", javaQuote(st.url))
					for _, l := range st.setLine {
						fmt.Printf(",\n                            %s", javaQuote(l))
					}
					fmt.Print(")")
				}
				continue
			}
			// What Client.send does before a request: AddCookie for each of Jar.Cookies(req.URL).
			req := &http.Request{Header: http.Header{}}
			for _, c := range jar.Cookies(u) {
				req.AddCookie(c)
			}
			got := req.Header.Get("Cookie")
			if *java {
				fmt.Printf(",\n                    get(%s, %s)", javaQuote(st.url), javaQuote(got))
			} else {
				fmt.Printf("  get %s => %q\n", st.url, got)
			}
		}
		if *java {
			fmt.Print("),\n")
		}
	}
}
