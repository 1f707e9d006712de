package io.gochan.jfr;

import io.gochan.spi.SafeText;

/**
 * The code that creates, times and commits gochan's events: the only class outside the event
 * classes themselves that names them. Reached only through {@code io.gochan.spi.JfrGate} once the
 * gate is open, so a runtime without {@code jdk.jfr} never loads it. Events are passed around as
 * {@code Object} so that the callers' own bytecode names no event type.
 */
public final class Emitter {
    private Emitter() {}

    /**
     * Begins a {@link ChannelBlockedEvent}.
     *
     * @return the begun event
     */
    public static Object channelBlockedBegin() {
        ChannelBlockedEvent e = new ChannelBlockedEvent();
        e.begin();
        return e;
    }

    /**
     * Ends the event and commits it if a recording enabled it and the wait passed its threshold.
     *
     * @param event a {@link ChannelBlockedEvent} from {@link #channelBlockedBegin()}
     * @param operation send or receive
     * @param channel the channel, described only if committed
     * @param capacity the channel's capacity
     * @param outcome how the wait ended
     */
    public static void channelBlockedEnd(Object event, String operation, Object channel, int capacity, String outcome) {
        ChannelBlockedEvent e = (ChannelBlockedEvent) event;
        e.end();
        if (e.shouldCommit()) {
            e.operation = operation;
            e.channel = text(channel);
            e.capacity = capacity;
            e.outcome = outcome;
            e.commit();
        }
    }

    /**
     * Begins a {@link SelectBlockedEvent}.
     *
     * @return the begun event
     */
    public static Object selectBlockedBegin() {
        SelectBlockedEvent e = new SelectBlockedEvent();
        e.begin();
        return e;
    }

    /**
     * Ends the event and commits it if a recording enabled it and the wait passed its threshold.
     *
     * @param event a {@link SelectBlockedEvent} from {@link #selectBlockedBegin()}
     * @param cases the number of cases
     * @param chosen the case that fired, or -1 if none did
     * @param select the select, described only if committed
     * @param outcome how the wait ended
     */
    public static void selectBlockedEnd(Object event, int cases, int chosen, Object select, String outcome) {
        SelectBlockedEvent e = (SelectBlockedEvent) event;
        e.end();
        if (e.shouldCommit()) {
            e.cases = cases;
            e.chosen = chosen;
            e.select = text(select);
            e.outcome = outcome;
            e.commit();
        }
    }

    /**
     * Begins a {@link GoroutineEvent}.
     *
     * @return the begun event
     */
    public static Object goroutineBegin() {
        GoroutineEvent e = new GoroutineEvent();
        e.begin();
        return e;
    }

    /**
     * Ends the event and commits it if a recording enabled it.
     *
     * @param event a {@link GoroutineEvent} from {@link #goroutineBegin()}
     * @param id the goroutine's id
     * @param name its name
     * @param failure what ended it, or null
     */
    public static void goroutineEnd(Object event, long id, String name, Throwable failure) {
        GoroutineEvent e = (GoroutineEvent) event;
        e.end();
        if (e.shouldCommit()) {
            e.id = id;
            e.name = name;
            e.failure = failure == null ? null : text(failure);
            e.commit();
        }
    }

    /**
     * {@code String.valueOf(o)}, or, if its {@code toString()} throws, its type and what it threw (JF12). An event's
     * text may call code that is not gochan's (what ended a goroutine is the task's exception, of any class), and it
     * is taken where the caller is ending something (a goroutine leaving the registry): what a broken
     * {@code toString()} throws must not reach that caller. The one safe text of this module ({@link SafeText}, which
     * the rest of gochan's code asks too, CH7): the throw is logged at DEBUG by its type, never handed to the logger,
     * whose printing would ask its text in turn.
     *
     * @param o the object to describe, maybe null
     * @return its text, never throwing
     */
    static String text(Object o) {
        return SafeText.of(o);
    }
}
