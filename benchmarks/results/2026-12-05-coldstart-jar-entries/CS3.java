package y;
public final class CS3 {
  public static void main(String[] a) throws Exception {
    long t0 = System.nanoTime();
    Class.forName(a[0]);
    long t1 = System.nanoTime();
    System.out.println(a[0] + " " + (t1-t0));
  }
}
