// Oracle evidence for SelectChoiceRulesTest (rules L2, L4, L7 of docs/spec/select.md): what Go's
// select chooses among ready cases of every kind, with a send case on a closed channel, and with a send
// and a receive case on one channel. Runs on Go 1.19 (installed here) and later; the due timer of
// SelectChoiceRulesTest's L2 test is left out here (Go 1.19's timer channels are asynchronous; see
// channels/src/test/go-evidence/tm7_due_timer_is_ready.go for Go 1.23's).
//
//	go run select_choice.go
package main

import (
	"fmt"
	"time"
)

func waitSenders(c chan int) {
	// Go has no query for parked senders; give the partner time to park (evidence only, not a test).
	for len(c) < cap(c) {
		time.Sleep(time.Microsecond)
	}
	time.Sleep(20 * time.Microsecond)
}

func main() {
	// L2: five ready cases of five kinds.
	room := make(chan int, 1)
	buffered := make(chan int, 1)
	fullWithSender := make(chan int, 1)
	withReceiver := make(chan int)
	closed := make(chan int)
	close(closed)
	go func() {
		for {
			fullWithSender <- 1
		}
	}()
	go func() {
		for {
			<-withReceiver
		}
	}()
	hits := make([]int, 5)
	for i := 0; i < 5000; i++ {
		for len(room) > 0 {
			<-room
		}
		if len(buffered) == 0 {
			buffered <- 1
		}
		waitSenders(fullWithSender)
		time.Sleep(20 * time.Microsecond) // the receiver parks again
		select {
		case room <- 1:
			hits[0]++
		case <-buffered:
			hits[1]++
		case <-fullWithSender:
			hits[2]++
		case withReceiver <- 1:
			hits[3]++
		case <-closed:
			hits[4]++
		}
	}
	fmt.Println("L2 five kinds of ready case (about 1000 each):", hits)

	// L4: a send on a closed channel is picked (and panics) about a third of the time among three.
	a := make(chan int, 1)
	b := make(chan int, 1)
	counts := make([]int, 3)
	for i := 0; i < 6000; i++ {
		if len(a) == 0 {
			a <- 1
		}
		if len(b) == 0 {
			b <- 2
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					counts[1]++
				}
			}()
			select {
			case <-a:
				counts[0]++
			case closed <- 3:
				panic("unreachable")
			case <-b:
				counts[2]++
			}
		}()
	}
	fmt.Println("L4 closed send among three ready cases (about 2000 each, the middle one panicked):", counts)

	// L7: a select never meets itself; on a buffered channel each case is judged on its own.
	u := make(chan int)
	select {
	case u <- 1:
		fmt.Println("L7 unbuffered: sent to itself (never)")
	case <-u:
		fmt.Println("L7 unbuffered: received from itself (never)")
	case <-time.After(time.Millisecond):
		fmt.Println("L7 unbuffered send+receive on one channel: timed out")
	}
	c := make(chan int, 2)
	both := make([]int, 2)
	for i := 0; i < 4000; i++ {
		for len(c) > 1 {
			<-c
		}
		for len(c) < 1 {
			c <- 1
		}
		select {
		case c <- 1:
			both[0]++
		case <-c:
			both[1]++
		}
	}
	fmt.Println("L7 cap 2 holding 1, send vs receive (about 2000 each):", both)
}
