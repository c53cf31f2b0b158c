package org.parasol.hypervisor.mm;

/** Test access to {@link IoUring}'s setup failure, for tests outside this package. */
public final class IoUringTesting {
    private IoUringTesting() {
    }

    /** Makes every later {@link IoUring#open} fail with {@code errno} (0: works again). */
    public static void failSetup(int errno) {
        IoUring.failSetupForTests = errno;
    }

    /** Whether {@code file} has an io_uring beside its descriptor now. */
    public static boolean hasRing(HostFileChannel file) {
        return file.hasRing();
    }
}
