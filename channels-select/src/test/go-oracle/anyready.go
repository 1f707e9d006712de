package main

// Shape "anyready": single-goroutine scripts whose selects may have several ready cases (rule GO3 in
// docs/spec/select.md). Go picks one of the ready cases at random, so one run tells one outcome only; the
// recorder asks Go for the whole set instead: it replays the script so far on fresh channels and runs the
// select again, many times, collecting every outcome Go gives. The script then goes on from the first of
// them in sorted order (so a seed gives the same corpus each time): the select runs as that one case (a select
// with that case alone has the same effect on the channels as Go choosing it; a panic changes nothing), and so
// do replays.
//
// Notation, beside the single-goroutine shapes' lines:
//   select CASES -> any [OUT ; OUT ; ...] took OUT
// the outcomes sorted, then the one the script went on from. Capacities are nil, 0 and 1 to 4; about half
// the steps are selects of two to four cases (send, receive, on any channel, the same one twice too), with
// or without a default.

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
)

// anySamples is how many replays ask Go for a select's outcomes: with at most four ready cases, each drawn
// with probability 1/4, one is missed with probability below 4*(3/4)^400, which is never.
const anySamples = 400

// step is one executed operation; took is, for a select with several ready cases, what Go chose.
type step struct {
	op   string
	took string
}

func newState(caps []int) *state {
	s := &state{caps: caps, closed: make([]bool, len(caps))}
	for _, c := range caps {
		if c < 0 {
			s.chans = append(s.chans, nil)
		} else {
			s.chans = append(s.chans, make(chan int, c))
		}
	}
	return s
}

func atoi(w string) int {
	n, err := strconv.Atoi(w)
	if err != nil {
		panic(err)
	}
	return n
}

// parseCases reads "send i v | recv i | default".
func parseCases(text string) (cases []selCase, hasDefault bool) {
	for _, c := range strings.Split(text, " | ") {
		w := strings.Split(c, " ")
		switch w[0] {
		case "send":
			cases = append(cases, selCase{send: true, ch: atoi(w[1]), val: atoi(w[2])})
		case "recv":
			cases = append(cases, selCase{ch: atoi(w[1])})
		case "default":
			hasDefault = true
		default:
			panic("unknown case " + c)
		}
	}
	return
}

// apply runs one operation in the oracle's notation on s and returns its outcome. A select with took set runs
// only the case Go chose then.
func apply(s *state, st step) string {
	w := strings.Split(st.op, " ")
	i := 0 // a select names its channels in its cases
	if w[0] != "select" {
		i = atoi(w[1])
	}
	ch := s.chans[i]
	switch w[0] {
	case "trysend":
		return trySend(ch, atoi(w[2]))
	case "tryrecv":
		return tryRecv(ch)
	case "send":
		v := atoi(w[2])
		return guard(func() string { ch <- v; return "ok" })
	case "recv":
		return guard(func() string { v, ok := <-ch; return recvResult(v, ok) })
	case "close":
		out := guard(func() string { close(ch); return "ok" })
		if out == "ok" {
			s.closed[i] = true
		}
		return out
	case "len":
		return strconv.Itoa(len(ch))
	case "cap":
		return strconv.Itoa(cap(ch))
	case "range":
		return guard(func() string {
			var got []string
			for v := range ch {
				got = append(got, strconv.Itoa(v))
			}
			return "[" + strings.Join(got, " ") + "]"
		})
	case "select":
		cases, hasDefault := parseCases(strings.TrimPrefix(st.op, "select "))
		if st.took == "" {
			return guard(func() string { return s.sel(cases, hasDefault) })
		}
		if strings.HasPrefix(st.took, "panic ") {
			return st.took // a send case on a closed channel: the select panicked and changed nothing
		}
		k := atoi(strings.Split(st.took, " ")[1])
		out := guard(func() string { return s.sel([]selCase{cases[k]}, false) })
		return "case " + strconv.Itoa(k) + strings.TrimPrefix(out, "case 0")
	}
	panic("unknown operation " + st.op)
}

func anyScript(r *rand.Rand, id int) {
	fmt.Printf("script %d\n", id)
	nch := 1 + r.Intn(4)
	var caps []int
	for i := 0; i < nch; i++ {
		c := r.Intn(6) - 1 // -1 nil, 0 unbuffered, 1..4 buffered
		caps = append(caps, c)
		fmt.Printf("chan %d %d\n", i, c)
	}
	s := newState(caps)
	var done []step
	ops := 5 + r.Intn(30)
	val := 1
	for k := 0; k < ops; k++ {
		i := r.Intn(nch)
		var op string
		switch o := r.Intn(100); {
		case o < 12:
			op = fmt.Sprintf("trysend %d %d", i, val)
			val++
		case o < 22:
			op = fmt.Sprintf("tryrecv %d", i)
		case o < 27:
			if !s.ready(i, true) {
				continue // it would block forever
			}
			op = fmt.Sprintf("send %d %d", i, val)
			val++
		case o < 32:
			if !s.ready(i, false) {
				continue
			}
			op = fmt.Sprintf("recv %d", i)
		case o < 38:
			op = fmt.Sprintf("close %d", i)
		case o < 41:
			op = fmt.Sprintf("len %d", i)
		case o < 43:
			op = fmt.Sprintf("cap %d", i)
		case o < 47:
			if caps[i] < 0 || !s.closed[i] {
				continue // range ends only on a closed channel
			}
			op = fmt.Sprintf("range %d", i)
		default:
			ncases := 2 + r.Intn(3)
			ready := 0
			var parts []string
			for c := 0; c < ncases; c++ {
				ch, send := r.Intn(nch), r.Intn(2) == 0
				if send {
					parts = append(parts, fmt.Sprintf("send %d %d", ch, val))
					val++
				} else {
					parts = append(parts, fmt.Sprintf("recv %d", ch))
				}
				if s.ready(ch, send) {
					ready++
				}
			}
			hasDefault := r.Intn(3) == 0
			if ready == 0 && !hasDefault {
				continue // it would block forever
			}
			if hasDefault {
				parts = append(parts, "default")
			}
			op = "select " + strings.Join(parts, " | ")
			if ready > 1 {
				set := map[string]bool{}
				for n := 0; n < anySamples; n++ {
					f := newState(caps)
					for _, d := range done {
						apply(f, d)
					}
					set[apply(f, step{op: op})] = true
				}
				var outs []string
				for o := range set {
					outs = append(outs, o)
				}
				sort.Strings(outs)
				// go on from the first outcome in sorted order, so that a seed gives the same corpus every time
				st := step{op: op, took: outs[0]}
				if got := apply(s, st); got != st.took {
					panic("case " + st.took + " alone gave " + got)
				}
				fmt.Printf("%s -> any [%s] took %s\n", op, strings.Join(outs, " ; "), st.took)
				done = append(done, st)
				continue
			}
		}
		st := step{op: op}
		fmt.Printf("%s -> %s\n", op, apply(s, st))
		done = append(done, st)
	}
	fmt.Println("end")
}
