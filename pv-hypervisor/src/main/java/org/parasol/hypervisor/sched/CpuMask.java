package org.parasol.hypervisor.sched;

import java.util.Arrays;

/**
 * A set of pCPU numbers (Xen's {@code cpumask_t}): the pCPUs of a cpupool, a vCPU's hard or
 * soft affinity. Immutable; a change of affinity makes a new mask (a control-path operation),
 * and the scheduler's paths only test bits.
 *
 * <p>Written as xl writes it: {@code "all"}, or a list of numbers and ranges such as
 * {@code "0-3,6"}; {@link #parse} reads that form, {@link #toString} writes it.
 */
public final class CpuMask {
    /** The most pCPUs a mask can name: far beyond any host Parasol runs on. */
    public static final int MAX_PCPUS = 4096;

    /** Every pCPU: the affinity of a vCPU nobody pinned (xl's {@code "all"}). */
    public static final CpuMask ALL = first(MAX_PCPUS);

    private final long[] words;

    private CpuMask(long[] words) {
        this.words = words;
    }

    /** pCPUs {@code 0 ..< n}. */
    public static CpuMask first(int n) {
        if (n < 0 || n > MAX_PCPUS) {
            throw new IllegalArgumentException("pCPU count out of range: " + n);
        }
        long[] w = new long[(n + 63) >>> 6];
        for (int i = 0; i < n; i++) {
            w[i >>> 6] |= 1L << i;
        }
        return new CpuMask(w);
    }

    /** The pCPUs {@code cpus}. */
    public static CpuMask of(int... cpus) {
        int max = -1;
        for (int c : cpus) {
            if (c < 0 || c >= MAX_PCPUS) {
                throw new IllegalArgumentException("no such pCPU: " + c);
            }
            max = Math.max(max, c);
        }
        long[] w = new long[(max + 64) >>> 6];
        for (int c : cpus) {
            w[c >>> 6] |= 1L << c;
        }
        return new CpuMask(w);
    }

    /**
     * A mask from bitmap bytes as Xen's {@code xenctl_bitmap} carries them: bit {@code i} of
     * byte {@code i / 8} is pCPU {@code i}, the first {@code nrBits} bits counted.
     */
    public static CpuMask fromBitmap(byte[] bytes, int nrBits) {
        int n = Math.min(nrBits, Math.min(bytes.length * 8, MAX_PCPUS));
        long[] w = new long[(n + 63) >>> 6];
        for (int i = 0; i < n; i++) {
            if ((bytes[i >>> 3] >>> (i & 7) & 1) != 0) {
                w[i >>> 6] |= 1L << i;
            }
        }
        return new CpuMask(w);
    }

    /**
     * Reads xl's form: {@code all}, or comma-separated numbers and ranges {@code a-b}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static CpuMask parse(String text) {
        String s = text.strip();
        if (s.equals("all")) {
            return ALL;
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("an empty list of pCPUs");
        }
        long[] w = new long[0];
        for (String part : s.split(",", -1)) {
            String p = part.strip();
            int dash = p.indexOf('-');
            int lo;
            int hi;
            try {
                lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
                hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a pCPU or a range of them: '" + p + "'");
            }
            if (lo < 0 || hi < lo || hi >= MAX_PCPUS) {
                throw new IllegalArgumentException("not a range of pCPUs below " + MAX_PCPUS + ": '" + p + "'");
            }
            if (w.length < ((hi + 64) >>> 6)) {
                w = Arrays.copyOf(w, (hi + 64) >>> 6);
            }
            for (int i = lo; i <= hi; i++) {
                w[i >>> 6] |= 1L << i;
            }
        }
        return new CpuMask(w);
    }

    /** Whether pCPU {@code cpu} is in the mask; allocates nothing. */
    public boolean contains(int cpu) {
        int i = cpu >>> 6;
        return cpu >= 0 && i < words.length && (words[i] >>> cpu & 1) != 0;
    }

    /** Whether the mask and {@code other} share a pCPU. */
    public boolean intersects(CpuMask other) {
        int n = Math.min(words.length, other.words.length);
        for (int i = 0; i < n; i++) {
            if ((words[i] & other.words[i]) != 0) {
                return true;
            }
        }
        return false;
    }

    /** The pCPUs in both. */
    public CpuMask and(CpuMask other) {
        long[] w = new long[Math.min(words.length, other.words.length)];
        for (int i = 0; i < w.length; i++) {
            w[i] = words[i] & other.words[i];
        }
        return new CpuMask(w);
    }

    /** The pCPUs in this mask but not in {@code other}. */
    public CpuMask andNot(CpuMask other) {
        long[] w = words.clone();
        for (int i = 0; i < Math.min(w.length, other.words.length); i++) {
            w[i] &= ~other.words[i];
        }
        return new CpuMask(w);
    }

    /** The pCPUs in either. */
    public CpuMask or(CpuMask other) {
        long[] w = Arrays.copyOf(words, Math.max(words.length, other.words.length));
        for (int i = 0; i < other.words.length; i++) {
            w[i] |= other.words[i];
        }
        return new CpuMask(w);
    }

    /** Whether every pCPU of the mask is in {@code other}. */
    public boolean subsetOf(CpuMask other) {
        for (int i = 0; i < words.length; i++) {
            long o = i < other.words.length ? other.words[i] : 0;
            if ((words[i] & ~o) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Number of pCPUs in the mask. */
    public int weight() {
        int n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** Whether the mask names no pCPU. */
    public boolean isEmpty() {
        return weight() == 0;
    }

    /** The pCPUs, in increasing order. */
    public int[] toArray() {
        int[] out = new int[weight()];
        int k = 0;
        for (int i = 0; i < words.length * 64; i++) {
            if (contains(i)) {
                out[k++] = i;
            }
        }
        return out;
    }

    /**
     * The mask as {@code xenctl_bitmap} bytes of {@code nrBytes} bytes: bit {@code i} of byte
     * {@code i / 8} for pCPU {@code i}; pCPUs beyond the bytes are left out.
     */
    public byte[] toBitmap(int nrBytes) {
        byte[] b = new byte[nrBytes];
        for (int i = 0; i < Math.min(nrBytes * 8, words.length * 64); i++) {
            if (contains(i)) {
                b[i >>> 3] |= (byte) (1 << (i & 7));
            }
        }
        return b;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CpuMask m)) {
            return false;
        }
        return subsetOf(m) && m.subsetOf(this);
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (int c : toArray()) {
            h = h * 31 + c;
        }
        return h;
    }

    /** xl's form: ranges joined with commas ({@code "0-3,6"}), {@code "all"}; an empty mask is {@code ""}. */
    @Override
    public String toString() {
        if (ALL.subsetOf(this)) {
            return "all";
        }
        StringBuilder sb = new StringBuilder();
        int[] c = toArray();
        for (int i = 0; i < c.length; i++) {
            int j = i;
            while (j + 1 < c.length && c[j + 1] == c[j] + 1) {
                j++;
            }
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(c[i]);
            if (j > i) {
                sb.append('-').append(c[j]);
            }
            i = j;
        }
        return sb.toString();
    }
}
