/**
 * gochan's JDK Flight Recorder events ({@code io.gochan.ChannelBlocked}, {@code io.gochan.SelectBlocked},
 * {@code io.gochan.Goroutine}). Not exported: a recording names the events, not these classes, and
 * {@code jdk.jfr} is an optional dependency, so no gochan API may mention its types. Only
 * {@link io.gochan.jfr.Emitter} touches the event classes, and only once {@code io.gochan.spi.JfrGate}
 * is open: a runtime without {@code jdk.jfr} never loads them, and a program that never records never
 * pays for JFR's event registration (see ADR 0011). All events are disabled by default.
 */
package io.gochan.jfr;
