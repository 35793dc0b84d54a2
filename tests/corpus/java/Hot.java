// A loop hot enough for HotSpot to compile work() (C1, then C2): the JIT writes machine code into
// memory it maps executable, which a sandbox must allow for any Java build or test run.
public class Hot {
	static long work(long n) {
		long acc = 0;
		for (long i = 0; i < n; i++) {
			acc += (i * 31) ^ (acc >>> 7);
		}
		return acc;
	}

	public static void main(String[] args) {
		long total = 0;
		for (int round = 0; round < 200; round++) {
			total += work(200_000);
		}
		System.out.println("hot " + (total != 0));
	}
}
