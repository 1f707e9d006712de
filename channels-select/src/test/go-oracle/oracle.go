// Command oracle records what Go's runtime does with random single-goroutine channel scripts, as the
// corpus GoOracleTest replays against gochan (rule GO1 in docs/spec/select.md). Each script makes up to
// four channels (nil, unbuffered or buffered) and runs operations on them that cannot block forever in
// one goroutine: try-send and try-receive (a select with default), blocking send and receive only when
// they can complete (or panic), close, len, cap, a select over several cases when at most one of them
// is ready (so the outcome does not depend on Go's random choice), and range over a closed channel.
// Usage: go run . [scripts] [seed] [shape] > ../resources/go-oracle/traces.txt
// With shape "ring" the channels have capacities around the bounds of gochan's lock-free ring (64 and
// 4096, ADR 0015) and bursts of try-sends and try-receives fill and drain them
// (../resources/go-oracle/traces-ring.txt); the default shape draws capacities 0 to 3 as before.
// With shape "multi" (multi.go, rule GO2) scripts start goroutines that block, and the recorder waits for
// quiescence after every step (../resources/go-oracle/traces-multi.txt); shape "multiring" does the same
// at the ring's capacities, with bursts (../resources/go-oracle/traces-multi-ring.txt). With shape "anyready"
// (anyready.go, rule GO3) selects may have several ready cases, and Go's whole set of outcomes is recorded
// (../resources/go-oracle/traces-anyready.txt). With shape "parked" (parked.go, rule GO4) goroutines park and
// then one select finds several cases ready, and Go's whole set of outcomes of each scenario is recorded
// (../resources/go-oracle/traces-parked.txt). With shape "multinil" (multi.go, rule GO5) goroutines also park for
// ever on nil channels, beside an 8192-slot buffer (../resources/go-oracle/traces-multi-nil.txt). With shape "big"
// (rule GO6) the single-goroutine scripts have capacities above the ring's, up to 100000 slots, with bursts
// (../resources/go-oracle/traces-big.txt).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
)

type state struct {
	chans  []chan int
	caps   []int // -1: nil
	closed []bool
}

// ready says whether a send (or a receive) on channel i can proceed now in a single goroutine:
// a closed channel is ready for both (a send then panics), an unbuffered one never has a partner.
func (s *state) ready(i int, send bool) bool {
	if s.caps[i] < 0 {
		return false
	}
	if s.closed[i] {
		return true
	}
	if send {
		return len(s.chans[i]) < s.caps[i]
	}
	return len(s.chans[i]) > 0
}

// trySend is a select with a default that sends v: "ok", "block", or the panic guard reports.
func trySend(ch chan int, v int) string {
	return guard(func() string {
		select {
		case ch <- v:
			return "ok"
		default:
			return "block"
		}
	})
}

// tryRecv is a select with a default that receives: the value and ok flag, "block", or the panic.
func tryRecv(ch chan int) string {
	return guard(func() string {
		select {
		case v, ok := <-ch:
			return recvResult(v, ok)
		default:
			return "block"
		}
	})
}

// guard runs f and turns a panic into "panic <message>".
func guard(f func() string) (out string) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(runtime.Error); ok {
				out = "panic " + e.Error()
			} else {
				out = fmt.Sprint("panic ", r)
			}
			out = strings.TrimPrefix(out, "panic runtime error: ")
			if !strings.HasPrefix(out, "panic ") {
				out = "panic " + out
			}
		}
	}()
	return f()
}

func recvResult(v int, ok bool) string { return strconv.Itoa(v) + " " + strconv.FormatBool(ok) }

type selCase struct {
	send bool
	ch   int
	val  int
}

// sel runs a select over the cases through reflect.Select, which is the runtime's own selectgo (the
// statement form needs a fixed shape per case count and kind).
func (s *state) sel(cases []selCase, hasDefault bool) string {
	rc := make([]reflect.SelectCase, 0, len(cases)+1)
	for _, c := range cases {
		ch := reflect.ValueOf(s.chans[c.ch]) // a nil channel's case never fires, as in a select statement
		if c.send {
			rc = append(rc, reflect.SelectCase{Dir: reflect.SelectSend, Chan: ch, Send: reflect.ValueOf(c.val)})
		} else {
			rc = append(rc, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: ch})
		}
	}
	if hasDefault {
		rc = append(rc, reflect.SelectCase{Dir: reflect.SelectDefault})
	}
	chosen, v, ok := reflect.Select(rc)
	if chosen == len(cases) {
		return "default"
	}
	if cases[chosen].send {
		return "case " + strconv.Itoa(chosen)
	}
	return "case " + strconv.Itoa(chosen) + " " + recvResult(int(v.Int()), ok)
}

func main() {
	n, seed := 600, int64(1)
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		seed, _ = strconv.ParseInt(os.Args[2], 10, 64)
	}
	ring := len(os.Args) > 3 && os.Args[3] == "ring"
	big := len(os.Args) > 3 && os.Args[3] == "big"
	r := rand.New(rand.NewSource(seed))
	if len(os.Args) > 3 && (os.Args[3] == "multi" || os.Args[3] == "multiring" || os.Args[3] == "multinil") {
		mring := os.Args[3] == "multiring"
		mnil := os.Args[3] == "multinil"
		at := ""
		if mring {
			at = " at the ring's capacities"
		}
		if mnil {
			at = ", goroutines parked for ever on nil channels, capacities above the ring's"
		}
		fmt.Printf("# recorded by channels-select/src/test/go-oracle (%s), seed %d, %d scripts, several goroutines%s\n", runtime.Version(), seed, n, at)
		for id := 0; id < n; id++ {
			multiScript(r, id, mring, mnil)
		}
		return
	}
	if len(os.Args) > 3 && os.Args[3] == "parked" {
		fmt.Printf("# recorded by channels-select/src/test/go-oracle (%s), seed %d, %d scenarios, selects with several ready cases against parked goroutines\n", runtime.Version(), seed, n)
		parkedScenarios(r, n)
		return
	}
	if len(os.Args) > 3 && os.Args[3] == "anyready" {
		fmt.Printf("# recorded by channels-select/src/test/go-oracle (%s), seed %d, %d scripts, selects with several ready cases\n", runtime.Version(), seed, n)
		for id := 0; id < n; id++ {
			anyScript(r, id)
		}
		return
	}
	shape := ""
	if ring {
		shape = ", ring shapes"
	}
	if big {
		shape = ", capacities above the ring's"
	}
	fmt.Printf("# recorded by channels-select/src/test/go-oracle (%s), seed %d, %d scripts%s\n", runtime.Version(), seed, n, shape)
	for id := 0; id < n; id++ {
		script(r, id, ring, big)
	}
}

// ringCaps are capacities on both sides of the lock-free ring's bounds in gochan (-1: nil).
var ringCaps = []int{-1, 0, 1, 16, 63, 64, 65, 100, 4096, 4097}

// bigCaps (shape "big", rule GO6): capacities above the ring's largest, up to 100000 slots, beside nil, 0 and 1,
// so bursts fill and drain buffers far larger than the ring's, and closes leave many values in them.
var bigCaps = []int{-1, 0, 1, 4096, 4097, 8192, 65536, 100000}

// script records one single-goroutine script; ring draws ringCaps, big bigCaps (both with bursts).
func script(r *rand.Rand, id int, ring, big bool) {
	fmt.Printf("script %d\n", id)
	nch := 1 + r.Intn(4)
	s := &state{}
	for i := 0; i < nch; i++ {
		c := r.Intn(5) - 1 // -1 nil, 0 unbuffered, 1..3 buffered
		if ring {
			c = ringCaps[r.Intn(len(ringCaps))]
		}
		if big {
			c = bigCaps[r.Intn(len(bigCaps))]
		}
		s.caps = append(s.caps, c)
		s.closed = append(s.closed, false)
		if c < 0 {
			s.chans = append(s.chans, nil)
		} else {
			s.chans = append(s.chans, make(chan int, c))
		}
		fmt.Printf("chan %d %d\n", i, c)
	}
	ops := 5 + r.Intn(30)
	val := 1
	for k := 0; k < ops; k++ {
		i := r.Intn(nch)
		ch := s.chans[i]
		var line, out string
		if (ring || big) && r.Intn(100) < 15 {
			val = burst(s, i, r.Intn(2) == 0, val, nil)
			continue
		}
		switch op := r.Intn(100); {
		case op < 25:
			v := val
			val++
			line = fmt.Sprintf("trysend %d %d", i, v)
			out = trySend(ch, v)
		case op < 45:
			line = fmt.Sprintf("tryrecv %d", i)
			out = tryRecv(ch)
		case op < 52:
			if !s.ready(i, true) {
				continue // it would block forever
			}
			v := val
			val++
			line = fmt.Sprintf("send %d %d", i, v)
			out = guard(func() string { ch <- v; return "ok" })
		case op < 60:
			if !s.ready(i, false) {
				continue
			}
			line = fmt.Sprintf("recv %d", i)
			out = guard(func() string { v, ok := <-ch; return recvResult(v, ok) })
		case op < 68:
			line = fmt.Sprintf("close %d", i)
			out = guard(func() string { close(ch); return "ok" })
			if out == "ok" {
				s.closed[i] = true
			}
		case op < 73:
			line = fmt.Sprintf("len %d", i)
			out = strconv.Itoa(len(ch))
		case op < 76:
			line = fmt.Sprintf("cap %d", i)
			out = strconv.Itoa(cap(ch))
		case op < 80:
			if s.caps[i] < 0 || !s.closed[i] {
				continue // range ends only on a closed channel
			}
			if big && len(ch) > 64 {
				continue // a line of up to 100000 values; a drain burst takes them
			}
			line = fmt.Sprintf("range %d", i)
			out = guard(func() string {
				var got []string
				for v := range ch {
					got = append(got, strconv.Itoa(v))
				}
				return "[" + strings.Join(got, " ") + "]"
			})
		default:
			ncases := 2 + r.Intn(2)
			cases := make([]selCase, ncases)
			readyCount := 0
			var parts []string
			for c := range cases {
				cases[c] = selCase{send: r.Intn(2) == 0, ch: r.Intn(nch)}
				if cases[c].send {
					cases[c].val = val
					val++
					parts = append(parts, fmt.Sprintf("send %d %d", cases[c].ch, cases[c].val))
				} else {
					parts = append(parts, fmt.Sprintf("recv %d", cases[c].ch))
				}
				if s.ready(cases[c].ch, cases[c].send) {
					readyCount++
				}
			}
			hasDefault := r.Intn(2) == 0
			if readyCount > 1 || (readyCount == 0 && !hasDefault) {
				continue // Go's choice would be random, or it would block forever
			}
			if hasDefault {
				parts = append(parts, "default")
			}
			line = "select " + strings.Join(parts, " | ")
			out = guard(func() string { return s.sel(cases, hasDefault) })
		}
		fmt.Printf("%s -> %s\n", line, out)
	}
	fmt.Println("end")
}

// burst fills channel i with try-sends until one does not succeed, or drains it with try-receives until
// one gets no value, and prints the whole burst as one line (a 4096-slot buffer would take 4097 lines):
// "trysend* i v -> n K then OUT" (v, v+1, ... were tried, K succeeded, OUT is the last one's outcome) or
// "tryrecv* i -> n K hash H then OUT" (K values received, H their polynomial hash h = 31*h + v modulo
// 2^32 in order), followed by len; between runs between the two lines if not nil. Returns the next unused value.
func burst(s *state, i int, fill bool, val int, between func()) int {
	ch := s.chans[i]
	first := val
	k := 0
	var hash uint32
	var out string
	for {
		if fill {
			v := val
			val++
			out = trySend(ch, v)
			if out != "ok" {
				break
			}
		} else {
			var got int
			out = guard(func() string {
				select {
				case v, ok := <-ch:
					got = v
					return recvResult(v, ok)
				default:
					return "block"
				}
			})
			if !strings.HasSuffix(out, " true") {
				break
			}
			hash = hash*31 + uint32(got)
		}
		k++
	}
	if fill {
		fmt.Printf("trysend* %d %d -> n %d then %s\n", i, first, k, out)
	} else {
		fmt.Printf("tryrecv* %d -> n %d hash %d then %s\n", i, k, hash, out)
	}
	if between != nil {
		between()
	}
	fmt.Printf("len %d -> %d\n", i, len(ch))
	return val
}
