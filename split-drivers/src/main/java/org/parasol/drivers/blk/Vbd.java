package org.parasol.drivers.blk;

/**
 * The virtual block device's names and store keys, both ends' ({@code io/blkif.h}, xl's
 * {@code xl-disk-configuration} and Xen's {@code docs/misc/vbd-interface.txt}).
 *
 * <p>A device's id in the store is its {@code virtual-device} number, which encodes the
 * guest-visible name:
 * <pre>
 *  xvdX, X = a..p, partition 0..15     (202 &lt;&lt; 8) | (disk &lt;&lt; 4) | partition   xvda = 51712
 *  xvdX, any disk, partition 0..255    (1 &lt;&lt; 28) | (disk &lt;&lt; 8) | partition   xvdq = 268439552
 *  sdX,  X = a..p, partition 0..15     (8 &lt;&lt; 8) | (disk &lt;&lt; 4) | partition     sda = 2048
 *  a decimal number                    itself
 * </pre>
 * Disks are numbered a = 0 .. z = 25, aa = 26 .. as xl numbers them.
 */
public final class Vbd {
    private Vbd() {
    }

    /** The device kind: directories {@code device/vbd} and {@code backend/vbd}. */
    public static final String KIND = "vbd";

    // Toolstack-written, back end directory.
    public static final String PARAMS = "params";
    public static final String MODE = "mode";
    public static final String TYPE = "type";
    public static final String DEV = "dev";
    public static final String DEVICE_TYPE = "device-type";
    public static final String REMOVABLE = "removable";
    public static final String BOOTABLE = "bootable";
    // Toolstack-written, front end directory.
    public static final String VIRTUAL_DEVICE = "virtual-device";
    // Both.
    public static final String STATE = "state";
    public static final String BACKEND = "backend";
    public static final String BACKEND_ID = "backend-id";
    public static final String FRONTEND = "frontend";
    public static final String FRONTEND_ID = "frontend-id";
    // Back end features and properties.
    public static final String FEATURE_BARRIER = "feature-barrier";
    public static final String FEATURE_FLUSH_CACHE = "feature-flush-cache";
    public static final String FEATURE_DISCARD = "feature-discard";
    public static final String DISCARD_GRANULARITY = "discard-granularity";
    public static final String DISCARD_ALIGNMENT = "discard-alignment";
    public static final String DISCARD_SECURE = "discard-secure";
    public static final String FEATURE_PERSISTENT = "feature-persistent";
    public static final String FEATURE_MAX_INDIRECT_SEGMENTS = "feature-max-indirect-segments";
    public static final String MAX_RING_PAGE_ORDER = "max-ring-page-order";
    public static final String MULTI_QUEUE_MAX_QUEUES = "multi-queue-max-queues";
    public static final String SECTORS = "sectors";
    public static final String INFO = "info";
    public static final String SECTOR_SIZE = "sector-size";
    public static final String PHYSICAL_SECTOR_SIZE = "physical-sector-size";
    // Front end, at Initialised.
    public static final String RING_REF = "ring-ref";
    public static final String RING_PAGE_ORDER = "ring-page-order";
    public static final String EVENT_CHANNEL = "event-channel";
    public static final String PROTOCOL = "protocol";
    public static final String PROTOCOL_X86_64 = "x86_64-abi";
    public static final String MULTI_QUEUE_NUM_QUEUES = "multi-queue-num-queues";
    public static final String QUEUE_PREFIX = "queue-";

    /** The largest {@code ring-page-order} either end accepts: 2^4 = 16 pages, 512 slots. */
    public static final int MAX_RING_PAGE_ORDER_VALUE = 4;
    /** The most queues either end accepts. */
    public static final int MAX_QUEUES = 16;

    /**
     * The {@code virtual-device} number of {@code vdev} ({@code xvda}, {@code xvdb3},
     * {@code sdc}, or a decimal number).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static int devid(String vdev) {
        if (vdev == null || vdev.isEmpty() || vdev.length() > 16) {
            throw new IllegalArgumentException("vdev must be like xvda, xvdb1, sda or a number: '" + vdev + "'");
        }
        if (allDigits(vdev, 0, vdev.length())) {
            long v = Long.parseLong(vdev);
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("vdev number out of range: " + vdev);
            }
            return (int) v;
        }
        boolean xvd = vdev.startsWith("xvd");
        boolean sd = !xvd && vdev.startsWith("sd");
        if (!xvd && !sd) {
            throw new IllegalArgumentException("vdev must be xvd<letters>[partition], sd<letter>[partition] or a number: '"
                    + vdev + "'");
        }
        int i = xvd ? 3 : 2;
        int start = i;
        long disk = 0;
        while (i < vdev.length() && vdev.charAt(i) >= 'a' && vdev.charAt(i) <= 'z') {
            disk = disk * 26 + (vdev.charAt(i) - 'a' + 1);
            i++;
        }
        if (i == start || i - start > 4) {
            throw new IllegalArgumentException("vdev '" + vdev + "' has no disk letters");
        }
        disk -= 1;
        int partition = 0;
        if (i < vdev.length()) {
            if (!allDigits(vdev, i, vdev.length()) || vdev.length() - i > 3 || vdev.charAt(i) == '0') {
                throw new IllegalArgumentException("vdev '" + vdev + "': partition must be 1..255");
            }
            partition = Integer.parseInt(vdev.substring(i));
            if (partition > 255) {
                throw new IllegalArgumentException("vdev '" + vdev + "': partition must be 1..255");
            }
        }
        if (sd) {
            if (disk > 15 || partition > 15) {
                throw new IllegalArgumentException("vdev '" + vdev + "': sd disks are a..p, partitions 1..15");
            }
            return (8 << 8) | ((int) disk << 4) | partition;
        }
        if (disk <= 15 && partition <= 15) {
            return (202 << 8) | ((int) disk << 4) | partition;
        }
        if (disk >= (1 << 20)) {
            throw new IllegalArgumentException("vdev '" + vdev + "': too many disks");
        }
        return (1 << 28) | ((int) disk << 8) | partition;
    }

    /** The {@code xvd} name of {@code devid} where it encodes one, else the number. */
    public static String name(int devid) {
        int disk;
        int partition;
        String prefix;
        if ((devid & (1 << 28)) != 0 && devid >>> 29 == 0) {
            disk = (devid >>> 8) & 0xFFFFF;
            partition = devid & 0xFF;
            prefix = "xvd";
        } else if (devid >>> 8 == 202) {
            disk = (devid >>> 4) & 0xF;
            partition = devid & 0xF;
            prefix = "xvd";
        } else if (devid >>> 8 == 8) {
            disk = (devid >>> 4) & 0xF;
            partition = devid & 0xF;
            prefix = "sd";
        } else {
            return Integer.toString(devid);
        }
        StringBuilder letters = new StringBuilder();
        int n = disk + 1;
        while (n > 0) {
            n--;
            letters.insert(0, (char) ('a' + n % 26));
            n /= 26;
        }
        return prefix + letters + (partition == 0 ? "" : Integer.toString(partition));
    }

    private static boolean allDigits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return from < to;
    }

    /**
     * A strict unsigned decimal from the store in {@code [min, max]}: what an untrusted peer
     * wrote, so no sign, no spaces, no leading zeros beyond "0", at most 19 digits.
     *
     * @throws IllegalArgumentException naming {@code key} and the value
     */
    public static long number(String key, String value, long min, long max) {
        if (value == null || value.isEmpty() || value.length() > 19 || !allDigits(value, 0, value.length())
                || value.length() > 1 && value.charAt(0) == '0') {
            throw new IllegalArgumentException(key + " is not a decimal number: '" + shorten(value) + "'");
        }
        long v = Long.parseLong(value);
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " " + v + " is out of range " + min + ".." + max);
        }
        return v;
    }

    static String shorten(String s) {
        return s == null ? "null" : s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
