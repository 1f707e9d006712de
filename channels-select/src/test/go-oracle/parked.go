package main

// Shape "parked": a select with several ready cases whose partners are parked goroutines (rule GO4 in
// docs/spec/select.md). A scenario starts goroutines that each park in one blocking operation (send, receive,
// range, or a select without default, two of its cases on one channel in one direction too) and fills buffers and closes channels without waking any of them; then the main
// goroutine runs one select that finds several cases ready: a parked sender or receiver, a buffered value or
// room, a closed channel, one channel in several cases, a send and a receive case on one channel, with or
// without a default. Go picks one ready case at random, so the recorder asks Go for the whole set of outcomes of
// the scenario: it runs the scenario from scratch many times and collects every outcome. An outcome is the whole
// scenario's observation, so it says which parked goroutine the select served and that the others stayed parked:
// the select's outcome; then every channel drained by try-receives in channel order (a parked sender's value
// comes out in the order the senders parked); then every open channel closed in channel order, which ends every
// goroutine still parked; then every goroutine's outcome. Each goroutine starts only when the ones before it are
// parked (quiesce, multi.go), and no step before the select lets one of them finish, so nothing but the select's
// choice depends on chance, and which case of a parked select wakes where two of its cases wait on one channel in
// one direction (Go queues them in an order its random poll order decides).
//
// Notation:
//   go G OP              goroutine G started with OP ("send i v", "recv i", "range i", "select CASES"); it parked
//   OP -> OUT            a main-goroutine step before the select (trysend, close), as in the other shapes
//   select CASES -> any N
//   outcome select OUT / drain i [V V] LAST / ... / go G OUT / ...
// N outcome lines follow, sorted; LAST is what the try-receive that ended a drain gave ("block" or "0 false").

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// parkedSamples is how many runs ask Go for a scenario's outcomes at least, and parkedQuiet how many more runs per
// outcome found must find no new one before the recorder stops: a set of n outcomes, each drawn with probability
// 1/(2n) at least, stops short with probability below n*(1-1/(2n))^(200n) < n*e^-100, which is never.
const (
	parkedSamples = 300
	parkedQuiet   = 200
)

type scenario struct {
	caps   []int
	prefix []string // "go G OP" or a main step
	sel    string   // "select CASES"
}

// genScenario draws a scenario; false if the draw found no select with two ready cases, one of them a parked
// goroutine.
func genScenario(r *rand.Rand) (scenario, bool) {
	nch := 1 + r.Intn(3)
	var caps []int
	for i := 0; i < nch; i++ {
		caps = append(caps, []int{-1, 0, 0, 0, 1, 2}[r.Intn(6)])
	}
	sc := scenario{caps: caps}
	s := newState(caps) // the buffers and closes of the steps before the select; no goroutine runs on it
	var waits [][]selCase
	parkedOn := func(ch int, send bool) bool {
		for _, w := range waits {
			for _, c := range w {
				if c.ch == ch && c.send == send {
					return true
				}
			}
		}
		return false
	}
	readyNow := func(c selCase) bool {
		return caps[c.ch] >= 0 && (s.ready(c.ch, c.send) || parkedOn(c.ch, !c.send))
	}
	val := 1
	steps := 2 + r.Intn(7)
	for k := 0; k < steps; k++ {
		i := r.Intn(nch)
		g := len(waits)
		switch o := r.Intn(100); {
		case o < 30, o < 50:
			c := selCase{send: o < 30, ch: i}
			if caps[i] < 0 || readyNow(c) {
				continue // it would never park, or would not park
			}
			if c.send {
				c.val = val
				val++
				sc.prefix = append(sc.prefix, fmt.Sprintf("go %d send %d %d", g, i, c.val))
			} else if r.Intn(4) == 0 {
				sc.prefix = append(sc.prefix, fmt.Sprintf("go %d range %d", g, i)) // it parks again after a value
			} else {
				sc.prefix = append(sc.prefix, fmt.Sprintf("go %d recv %d", g, i))
			}
			waits = append(waits, []selCase{c})
		case o < 65:
			cases, parts := drawCases(r, 2+r.Intn(2), nch, &val)
			usable := false
			for _, c := range cases {
				usable = usable || caps[c.ch] >= 0
				if readyNow(c) {
					usable = false
					break
				}
			}
			if !usable {
				continue // it would never end, or not park
			}
			sc.prefix = append(sc.prefix, fmt.Sprintf("go %d select %s", g, strings.Join(parts, " | ")))
			waits = append(waits, cases)
		case o < 88:
			if caps[i] <= 0 || s.closed[i] || len(s.chans[i]) == caps[i] || parkedOn(i, false) {
				continue // only into a buffer's room, no parked receiver to hand to
			}
			op := fmt.Sprintf("trysend %d %d", i, val)
			val++
			apply(s, step{op: op})
			sc.prefix = append(sc.prefix, op)
		default:
			if caps[i] < 0 || s.closed[i] || parkedOn(i, false) || parkedOn(i, true) {
				continue // a close here would wake a parked goroutine (or panic)
			}
			op := fmt.Sprintf("close %d", i)
			apply(s, step{op: op})
			sc.prefix = append(sc.prefix, op)
		}
	}
	if len(waits) == 0 {
		return sc, false
	}
	for try := 0; try < 40; try++ {
		cases, parts := drawCases(r, 2+r.Intn(3), nch, &val)
		ready, byParked := 0, false
		for _, c := range cases {
			if readyNow(c) {
				ready++
				byParked = byParked || parkedOn(c.ch, !c.send)
			}
		}
		if ready < 2 || !byParked {
			continue
		}
		if r.Intn(4) == 0 {
			parts = append(parts, "default")
		}
		sc.sel = "select " + strings.Join(parts, " | ")
		return sc, true
	}
	return sc, false
}

// runScenario runs sc from scratch: the outcomes of the steps before the select, and the scenario's outcome.
func runScenario(sc scenario) ([]string, string) {
	s := newState(sc.caps)
	gs := 0
	for _, op := range sc.prefix {
		if strings.HasPrefix(op, "go ") {
			gs++
		}
	}
	outs := make([]string, gs)
	done := make([]bool, gs)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var before []string
	for _, op := range sc.prefix {
		if !strings.HasPrefix(op, "go ") {
			before = append(before, apply(s, step{op: op}))
			continue
		}
		w := strings.SplitN(op, " ", 3)
		g, body := atoi(w[1]), w[2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := apply(s, step{op: body}) // a select without default runs as one
			mu.Lock()
			outs[g], done[g] = out, true
			mu.Unlock()
		}()
		quiesce()
		mu.Lock()
		for d := range done {
			if done[d] {
				panic(fmt.Sprintf("goroutine %d finished before the select: %s", d, op))
			}
		}
		mu.Unlock()
		before = append(before, "blocked")
	}
	parts := []string{"select " + apply(s, step{op: sc.sel})}
	for i, ch := range s.chans {
		if ch == nil {
			continue
		}
		var got []string
		for {
			o := tryRecv(ch)
			if !strings.HasSuffix(o, " true") {
				parts = append(parts, fmt.Sprintf("drain %d [%s] %s", i, strings.Join(got, " "), o))
				break
			}
			got = append(got, strings.Fields(o)[0])
		}
	}
	for i, ch := range s.chans {
		if ch != nil && !s.closed[i] {
			close(ch)
		}
	}
	wg.Wait()
	for g := range outs {
		parts = append(parts, "go "+strconv.Itoa(g)+" "+outs[g])
	}
	return before, strings.Join(parts, " / ")
}

func parkedScenarios(r *rand.Rand, n int) {
	for id := 0; id < n; {
		sc, ok := genScenario(r)
		if !ok {
			continue
		}
		before, _ := runScenario(sc)
		set := map[string]bool{}
		for k, last := 0, 0; k < parkedSamples || k-last < parkedQuiet*len(set); k++ {
			b, out := runScenario(sc)
			if strings.Join(b, ",") != strings.Join(before, ",") {
				panic("steps before the select differ between runs")
			}
			if !set[out] {
				set[out], last = true, k
			}
		}
		if live() != 0 {
			panic("goroutines left after a scenario")
		}
		var outs []string
		for o := range set {
			outs = append(outs, o)
		}
		sort.Strings(outs)
		fmt.Printf("script %d\n", id)
		for i, c := range sc.caps {
			fmt.Printf("chan %d %d\n", i, c)
		}
		for k, op := range sc.prefix {
			if strings.HasPrefix(op, "go ") {
				fmt.Println(op)
			} else {
				fmt.Printf("%s -> %s\n", op, before[k])
			}
		}
		fmt.Printf("%s -> any %d\n", sc.sel, len(outs))
		for _, o := range outs {
			fmt.Println("outcome " + o)
		}
		fmt.Println("end")
		id++
	}
}
