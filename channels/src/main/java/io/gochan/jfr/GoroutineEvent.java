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
    @Label("Id")
    public long id;

    @Label("Name")
    public String name;

    @Label("Failure")
    @Description("The exception that ended it, if any")
    public String failure;
}
