/**
 * JDK Flight Recorder events emitted by gochan's channels, select and goroutines. All are disabled by
 * default and cost nothing measurable until a recording enables them (checked with the benchmarks).
 */
package io.gochan.jfr;
