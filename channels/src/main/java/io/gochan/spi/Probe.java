package io.gochan.spi;
import java.util.concurrent.atomic.LongAdder;
public final class Probe {
    public static final String[] NAMES = {"selFast","selFull","selBlock","selSpun","selSpinMet","selParks","sendImm","sendBlock","sendSpun","sendSpinMet","sendParks","selFastStale"};
    public static final LongAdder[] C = new LongAdder[NAMES.length];
    static { for (int i=0;i<C.length;i++) C[i]=new LongAdder();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> { StringBuilder b=new StringBuilder("PROBE"); for(int i=0;i<C.length;i++) b.append(' ').append(NAMES[i]).append('=').append(C[i].sum()); System.err.println(b);})); }
    public static void inc(int i){C[i].increment();}
}
