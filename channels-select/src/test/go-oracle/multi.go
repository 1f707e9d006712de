package main

// Shape "multi": scripts with several goroutines whose outcome Go's runtime makes deterministic (rule GO2
// in docs/spec/select.md). The main goroutine never waits: it runs try-operations, close, len, cap,
// selects with a default, blocking operations only when they can complete at once (a buffer, a close or
// a parked partner), and starts goroutines that run one blocking operation each (send, receive, range, or
// a select without default). After every step the recorder waits until the program is
// quiescent: every goroutine it started has either finished or is parked in a channel operation (read
// from the runtime's own goroutine dump, never from a sleep). So a goroutine that blocks is queued on its
// channels before the next step runs, and the order of Go's wait queues (sudogs) is the order of the
// steps. At the end every channel that is not nil is closed, which ends every goroutine still parked but, in shape
// "multinil" (rule GO5), the ones that wait on nil channels only: a "forever" line names them.
//
// Notation, one line per step:
//   OP -> OUT            a main-goroutine operation and its outcome (as in the single-goroutine shapes)
//   go G OP -> OUT       goroutine G started with OP; OUT is "blocked" if it was still parked at quiescence
//   wake G -> OUT        goroutine G (blocked before) finished during the step just above, with OUT
// OP in a goroutine is "send i v", "recv i", "range i" or "select CASES" (no default); wake lines of one
// step are sorted by G (they finish in no defined order, but each one's outcome is defined).

import (
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

type multi struct {
	*state
	mu       sync.Mutex
	outcome  []string
	done     []bool
	reported []bool
	waits    [][]selCase // what each goroutine parks on while it has not finished
	ranges   []bool      // goroutines that range (they re-park after every value)
}

// ranging says whether a goroutine that has not finished ranges over channel i.
func (m *multi) ranging(i int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for g, loop := range m.ranges {
		if loop && !m.done[g] && m.waits[g][0].ch == i {
			return true
		}
	}
	return false
}

// quiesce waits until every goroutine but the caller is parked on a channel (send, receive or select):
// the ones that finished have left the dump, the runnable ones are still on their way.
func quiesce() {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n == len(buf) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		quiet := true
		first := true
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if !strings.HasPrefix(line, "goroutine ") || !strings.HasSuffix(line, ":") {
				continue
			}
			if first { // the dump starts with the caller
				first = false
				continue
			}
			st := line[strings.Index(line, "[")+1 : strings.Index(line, "]")]
			if !(strings.HasPrefix(st, "chan send") || strings.HasPrefix(st, "chan receive") || strings.HasPrefix(st, "select")) {
				quiet = false
				break
			}
		}
		if quiet {
			return
		}
		runtime.Gosched()
	}
}

// live counts the goroutines besides the caller.
func live() int { return runtime.NumGoroutine() - 1 }

// start runs the blocking operation f in a new goroutine g, which records its outcome when it ends.
func (m *multi) start(g int, waits []selCase, loop bool, f func() string) {
	m.waits = append(m.waits, waits)
	m.ranges = append(m.ranges, loop)
	m.outcome = append(m.outcome, "")
	m.done = append(m.done, false)
	m.reported = append(m.reported, false)
	go func() {
		out := guard(f)
		m.mu.Lock()
		m.outcome[g] = out
		m.done[g] = true
		m.mu.Unlock()
	}()
}

// report prints a wake line for every goroutine that finished since the last report, except skip.
func (m *multi) report(skip int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var gs []int
	for g := range m.done {
		if m.done[g] && !m.reported[g] && g != skip {
			gs = append(gs, g)
		}
	}
	sort.Ints(gs)
	for _, g := range gs {
		m.reported[g] = true
		fmt.Printf("wake %d -> %s\n", g, m.outcome[g])
	}
}

func (m *multi) finished(g int) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done[g] {
		m.reported[g] = true
	}
	return m.outcome[g], m.done[g]
}

// multiCaps: nil, unbuffered, and small buffers that fill with a step or two.
var multiCaps = []int{-1, 0, 0, 1, 2}

// multiNilCaps: shape "multinil" (rule GO5): nil channels often, so goroutines park on them for ever, next to
// unbuffered and small buffers, and a capacity above the lock-free ring's largest (4096). No bursts: a range over
// a filled 8192-slot buffer would print 8192 values.
var multiNilCaps = []int{-1, -1, 0, 1, 2, 8192}

// foreverParked counts the goroutines of earlier "multinil" scripts that are still parked on a nil channel or in a
// select whose cases are all nil: nothing ever wakes them, so they stay to the end of the recording.
var foreverParked int

// multiRingCaps: capacities on both sides of the bounds of gochan's lock-free ring (64 and 4096, ADR 0015),
// which bursts of try-operations fill and drain (shape "multiring").
var multiRingCaps = []int{0, 1, 63, 64, 65, 100, 4096}

// multiScript records one script; ring draws multiRingCaps, nilMode (shape "multinil", rule GO5) draws multiNilCaps
// and lets goroutines park for ever on nil channels: a send, a receive or a range on one, a select whose every case
// is on one. After every channel is closed the script says which goroutines are still parked ("forever" line).
func multiScript(r *rand.Rand, id int, ring, nilMode bool) {
	fmt.Printf("script %d\n", id)
	nch := 1 + r.Intn(3)
	m := &multi{state: &state{}}
	for i := 0; i < nch; i++ {
		c := multiCaps[r.Intn(len(multiCaps))]
		if ring {
			c = multiRingCaps[r.Intn(len(multiRingCaps))]
		}
		if nilMode {
			c = multiNilCaps[r.Intn(len(multiNilCaps))]
		}
		m.caps = append(m.caps, c)
		m.closed = append(m.closed, false)
		if c < 0 {
			m.chans = append(m.chans, nil)
		} else {
			m.chans = append(m.chans, make(chan int, c))
		}
		fmt.Printf("chan %d %d\n", i, c)
	}
	val := 1
	ops := 6 + r.Intn(24)
	for k := 0; k < ops; k++ {
		i := r.Intn(nch)
		ch := m.chans[i]
		if ring && r.Intn(100) < 20 {
			// a whole fill or drain in one line (oracle.go's burst); a drain takes the values of parked
			// senders too, in their queue order, and a fill hands values to parked receivers
			fill := r.Intn(2) == 0
			if fill && m.ranging(i) {
				continue // the ranging goroutine takes a value and re-parks while the fill goes on: a race
			}
			val = burst(m.state, i, fill, val, func() { quiesce(); m.report(-1) })
			continue
		}
		if r.Intn(100) < 45 { // a goroutine with one blocking operation
			g := len(m.done)
			var line string
			var f func() string
			waits := []selCase{{send: false, ch: i}}
			switch kind := r.Intn(100); {
			case kind < 40:
				if ch == nil && !nilMode {
					continue // it would never end
				}
				v := val
				val++
				line = fmt.Sprintf("send %d %d", i, v)
				waits[0].send = true
				f = func() string { ch <- v; return "ok" }
			case kind < 70:
				if ch == nil && !nilMode {
					continue
				}
				line = fmt.Sprintf("recv %d", i)
				f = func() string { v, ok := <-ch; return recvResult(v, ok) }
			case kind < 78:
				if ch == nil && !nilMode {
					continue
				}
				line = fmt.Sprintf("range %d", i)
				f = func() string {
					var got []string
					for v := range ch {
						got = append(got, strconv.Itoa(v))
					}
					return "[" + strings.Join(got, " ") + "]"
				}
			default:
				cases, parts := m.randomCases(r, nch, &val)
				usable := false
				for _, c := range cases {
					usable = usable || m.caps[c.ch] >= 0
				}
				if (!usable && !nilMode) || m.readyCount(cases) > 1 || twice(cases) {
					continue // only nil channels, outside "multinil": it would never end; or Go would choose at random
				}
				waits = cases
				line = "select " + strings.Join(parts, " | ")
				f = func() string { return m.sel(cases, false) }
			}
			m.start(g, waits, strings.HasPrefix(line, "range "), f)
			quiesce()
			out, ok := m.finished(g)
			if !ok {
				out = "blocked"
			}
			fmt.Printf("go %d %s -> %s\n", g, line, out)
			m.report(g)
			continue
		}
		var line, out string
		if r.Intn(100) < 15 {
			// a blocking operation of the main goroutine, only when it can complete now (a buffer, a
			// close or a parked partner): the blocking forms' own paths against parked partners
			switch kind := r.Intn(4); {
			case kind == 0 && m.readyNow(selCase{send: true, ch: i}):
				v := val
				val++
				line = fmt.Sprintf("send %d %d", i, v)
				out = guard(func() string { ch <- v; return "ok" })
			case kind == 1 && m.readyNow(selCase{ch: i}):
				line = fmt.Sprintf("recv %d", i)
				out = guard(func() string { v, ok := <-ch; return recvResult(v, ok) })
			case kind == 2 && ch != nil && m.closed[i]:
				line = fmt.Sprintf("range %d", i)
				out = guard(func() string {
					var got []string
					for v := range ch {
						got = append(got, strconv.Itoa(v))
					}
					return "[" + strings.Join(got, " ") + "]"
				})
			case kind == 3:
				cases, parts := m.randomCases(r, nch, &val)
				if m.readyCount(cases) != 1 {
					continue // it would block forever, or Go would choose at random
				}
				line = "select " + strings.Join(parts, " | ")
				out = guard(func() string { return m.sel(cases, false) })
			default:
				continue
			}
			fmt.Printf("%s -> %s\n", line, out)
			quiesce()
			m.report(-1)
			continue
		}
		switch op := r.Intn(100); {
		case op < 28:
			v := val
			val++
			line = fmt.Sprintf("trysend %d %d", i, v)
			out = trySend(ch, v)
		case op < 56:
			line = fmt.Sprintf("tryrecv %d", i)
			out = tryRecv(ch)
		case op < 62:
			line = fmt.Sprintf("close %d", i)
			out = guard(func() string { close(ch); return "ok" })
			if out == "ok" {
				m.closed[i] = true
			}
		case op < 74:
			line = fmt.Sprintf("len %d", i)
			out = strconv.Itoa(len(ch))
		case op < 80:
			line = fmt.Sprintf("cap %d", i)
			out = strconv.Itoa(cap(ch))
		default:
			cases, parts := m.randomCases(r, nch, &val)
			parts = append(parts, "default")
			line = "select " + strings.Join(parts, " | ")
			// with a default it never blocks; with several ready cases Go's choice is random: skip those
			if m.readyCount(cases) > 1 {
				continue
			}
			out = guard(func() string { return m.sel(cases, true) })
		}
		fmt.Printf("%s -> %s\n", line, out)
		quiesce()
		m.report(-1)
	}
	for i := range m.chans {
		if m.chans[i] == nil || m.closed[i] {
			continue
		}
		ch := m.chans[i]
		fmt.Printf("close %d -> %s\n", i, guard(func() string { close(ch); return "ok" }))
		m.closed[i] = true
		quiesce()
		m.report(-1)
	}
	quiesce()
	var forever []string
	for g := range m.done {
		if _, done := m.finished(g); !done {
			forever = append(forever, strconv.Itoa(g))
		}
	}
	if !nilMode && len(forever) != 0 {
		panic(fmt.Sprintf("script %d: goroutines %v still parked after every channel closed", id, forever))
	}
	foreverParked += len(forever)
	if n := live(); n != foreverParked {
		panic(fmt.Sprintf("script %d: %d goroutines alive, %d parked for ever", id, n, foreverParked))
	}
	if nilMode {
		if len(forever) == 0 {
			forever = []string{"none"}
		}
		fmt.Printf("forever -> %s\n", strings.Join(forever, " "))
	}
	fmt.Println("end")
}

// randomCases draws 1 to 3 select cases (a channel may appear twice).
func (m *multi) randomCases(r *rand.Rand, nch int, val *int) ([]selCase, []string) {
	return drawCases(r, 1+r.Intn(3), nch, val)
}

// drawCases draws n select cases over nch channels (a channel may appear twice), each send with the next value,
// and their notation.
func drawCases(r *rand.Rand, n, nch int, val *int) ([]selCase, []string) {
	cases := make([]selCase, n)
	var parts []string
	for c := range cases {
		cases[c] = selCase{send: r.Intn(2) == 0, ch: r.Intn(nch)}
		if cases[c].send {
			cases[c].val = *val
			*val++
			parts = append(parts, fmt.Sprintf("send %d %d", cases[c].ch, cases[c].val))
		} else {
			parts = append(parts, fmt.Sprintf("recv %d", cases[c].ch))
		}
	}
	return cases, parts
}

// readyNow says whether a select case can proceed now, at quiescence: besides the buffer and close,
// a goroutine parked on the same channel in the other direction is a partner. Selects with two ready
// cases are not scripted, because Go chooses among ready cases at random.
func (m *multi) readyNow(c selCase) bool {
	if m.caps[c.ch] < 0 {
		return false
	}
	if m.ready(c.ch, c.send) {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for g, waits := range m.waits {
		if m.done[g] {
			continue
		}
		for _, w := range waits {
			if w.ch == c.ch && w.send != c.send {
				return true
			}
		}
	}
	return false
}

func (m *multi) readyCount(cases []selCase) int {
	n := 0
	for _, c := range cases {
		if m.readyNow(c) {
			n++
		}
	}
	return n
}

// twice says whether two cases wait on the same channel in the same direction. A parked select queues its
// cases in the order of the channels' addresses, and two cases of one channel in an order that depends on
// the select's random poll order, so which of them a partner wakes is Go's random choice. One channel in
// both directions is deterministic: a partner matches only one of them, and close wakes receivers first.
func twice(cases []selCase) bool {
	for a := range cases {
		for b := a + 1; b < len(cases); b++ {
			if cases[a].ch == cases[b].ch && cases[a].send == cases[b].send {
				return true
			}
		}
	}
	return false
}
