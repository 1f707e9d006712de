package io.gochan.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A goroutine's life: emitted when it ends, spanning start to end; off by default. */
@Name("io.gochan.Goroutine")
@Label("Goroutine")
@Category({"gochan", "Goroutines"})
@Description("A goroutine started with Go.go, from start to end")
@Enabled(false)
@StackTrace(false)
public final class GoroutineEvent extends Event {
    /** An event to {@code begin()}; gochan fills its fields before {@code commit()}. */
    public GoroutineEvent() {}

    /** The goroutine's id ({@code Goroutine.id()}). */
    @Label("Id")
    public long id;

    /** The goroutine's name. */
    @Label("Name")
    public String name;

    /**
     * The {@code toString()} of the exception that ended the goroutine, or null if it returned normally; if that
     * {@code toString()} throws, the exception's type and what it threw (JF12).
     */
    @Label("Failure")
    @Description("The exception that ended it, if any")
    public String failure;
}
