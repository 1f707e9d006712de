// Oracle evidence for rule TM7 (docs/spec/context-timers.md): a timer whose time has come is ready to
// a receive or select that does not wait. Go 1.23+ (the timer semantics gochan follows) runs such a
// timer when its channel is looked at (runtime/select.go and chan.go call maybeRunChan before polling),
// so every count below is 1000/1000 (or 1000 for the select with a default). Go 1.19, installed
// here, still has the asynchronous timer channels and prints 0/1000: it is not the model for timers.
//
//	go run tm7_due_timer_is_ready.go
package main

import (
	"fmt"
	"time"
)

func main() {
	n := 0
	for i := 0; i < 1000; i++ {
		select {
		case <-time.After(0):
			n++
		default:
		}
	}
	fmt.Println("select { case <-time.After(0): ...; default: } took the timer:", n, "/1000")

	n = 0
	for i := 0; i < 1000; i++ {
		t := time.NewTimer(time.Hour)
		t.Reset(-1)
		select {
		case <-t.C:
			n++
		default:
		}
	}
	fmt.Println("NewTimer(1h), Reset(-1), non-blocking receive got a value:", n, "/1000")

	// Both cases ready: Go chooses uniformly.
	ready := make(chan int, 1)
	timer := 0
	for i := 0; i < 4000; i++ {
		if len(ready) == 0 {
			ready <- 1
		}
		select {
		case <-time.After(0):
			timer++
		case <-ready:
		}
	}
	fmt.Println("time.After(0) against a buffered value, timer case taken:", timer, "/4000 (about half)")
}
