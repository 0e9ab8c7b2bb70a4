package rmq.interop;

/** PASS/FAIL lines and the closing tally every check program prints. */
final class Tally {
  private static int passed;
  private static int failed;

  private Tally() {}

  static void check(boolean ok, String what) {
    System.out.println((ok ? "PASS " : "FAIL ") + what);
    if (ok) passed++; else failed++;
  }

  /** Prints `<name>: N passed, M failed` and exits 0 only when nothing failed. */
  static void finish(String name) {
    System.out.println(name + ": " + passed + " passed, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }
}
