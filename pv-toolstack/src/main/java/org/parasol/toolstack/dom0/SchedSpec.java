package org.parasol.toolstack.dom0;

/**
 * What the credit scheduler is told of one domain dom0 builds, as xl.cfg's scheduling keys
 * give it: libxl applies them by domctl at build ({@code cpupool_id} in createdomain,
 * {@code XEN_DOMCTL_scheduler_op}'s putinfo, {@code XEN_DOMCTL_setvcpuaffinity} per vCPU), and
 * so does dom0's {@link Builder}.
 *
 * @param weight   {@code cpu_weight}: 1..65535, or 0 to keep the hypervisor's default (256)
 * @param cap      {@code cap}: percent of one pCPU, 0 for none (at most 65534)
 * @param pool     the cpupool's id ({@code cpupool_id}), 0 for Pool-0
 * @param cpus     {@code cpus}: every vCPU's hard affinity, pCPU numbers and ranges such as
 *                 {@code 0-3,6}, or empty for every pCPU
 * @param cpusSoft {@code cpus_soft}: every vCPU's soft affinity in the same form, or empty
 */
public record SchedSpec(int weight, int cap, int pool, String cpus, String cpusSoft) {
    /** Nothing asked: the hypervisor's defaults. */
    public static final SchedSpec DEFAULT = new SchedSpec(0, 0, 0, "", "");
    /** The most pCPUs a list may name (the hypervisor's bound). */
    public static final int PCPUS_MAX = 4096;

    public SchedSpec {
        if (weight < 0 || weight > 65535) {
            throw new IllegalArgumentException("cpu_weight must be 1..65535: " + weight);
        }
        if (cap < 0 || cap > 65534) {
            throw new IllegalArgumentException("cap must be 0..65534: " + cap);
        }
        if (pool < 0) {
            throw new IllegalArgumentException("pool must be a cpupool id: " + pool);
        }
        cpus = cpus == null ? "" : cpus;
        cpusSoft = cpusSoft == null ? "" : cpusSoft;
        highest(cpus, "cpus");
        highest(cpusSoft, "cpus_soft");
    }

    /** Whether anything differs from the hypervisor's defaults. */
    public boolean isDefault() {
        return equals(DEFAULT);
    }

    /** Bits of the {@code xenctl_bitmap} for {@code list}: its highest pCPU + 1, rounded up to a byte. */
    public static int nrBits(String list) {
        return (highest(list, "cpus") + 8) / 8 * 8;
    }

    /** {@code list} as {@code xenctl_bitmap} bytes: bit {@code i % 8} of byte {@code i / 8} is pCPU {@code i}. */
    public static byte[] bitmap(String list) {
        byte[] b = new byte[nrBits(list) / 8];
        for (String part : list.split(",")) {
            int dash = part.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
            for (int i = lo; i <= hi; i++) {
                b[i >>> 3] |= (byte) (1 << (i & 7));
            }
        }
        return b;
    }

    /** The highest pCPU {@code list} names (-1 for an empty list), checking its form. */
    private static int highest(String list, String key) {
        if (list.isEmpty()) {
            return -1;
        }
        if (!list.matches("[0-9]{1,4}(-[0-9]{1,4})?(,[0-9]{1,4}(-[0-9]{1,4})?)*")) {
            throw new IllegalArgumentException(key + " must be pCPU numbers and ranges such as 0-3,6: '" + list + "'");
        }
        int max = -1;
        for (String part : list.split(",")) {
            int dash = part.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
            if (hi < lo || hi >= PCPUS_MAX) {
                throw new IllegalArgumentException(key + ": '" + part + "' is not a range of pCPUs below " + PCPUS_MAX);
            }
            max = Math.max(max, hi);
        }
        return max;
    }
}
