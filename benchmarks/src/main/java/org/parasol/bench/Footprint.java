package org.parasol.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.parasol.hypercall.GuestKernel;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;
import org.parasol.hypervisor.image.KernelImage;
import org.parasol.hypervisor.time.ManualClock;

/**
 * What each additional live domain of an image retains beyond its guest memory: Java heap
 * (domain, vCPU, event and code tables, the kernel object) and class metadata (metaspace,
 * which grows only when the domain needs a class loader of its own). Measured by keeping
 * {@link #DOMAINS} domains alive and comparing heap and metaspace after a full GC.
 */
final class Footprint {
    static final int DOMAINS = 64;

    private Footprint() {
    }

    record Result(String loader, double heapKiB, double metaspaceKiB) {
    }

    static Result measure(boolean ownLoaders) throws Exception {
        try (Hypervisor hv = Hypervisor.boot(HostConfig.defaults((DOMAINS + 8L) << 20)
                .withClock(new ManualClock()).withPcpus(1))) {
            KernelImage image = new ImageLoader(ImageRepository.standard()).load("hello");
            List<Object> keep = new ArrayList<>();
            keep.add(make(hv, image, ownLoaders, -1)); // the first domain pays for loading classes
            long heap0 = DensityFigures.heapUsed();
            long meta0 = metaspaceUsed();
            for (int i = 0; i < DOMAINS; i++) {
                keep.add(make(hv, image, ownLoaders, i));
            }
            long heap1 = DensityFigures.heapUsed();
            long meta1 = metaspaceUsed();
            if (keep.size() != DOMAINS + 1) {
                throw new IllegalStateException("lost a domain");
            }
            return new Result(ownLoaders ? "per domain" : "shared",
                    (heap1 - heap0) / 1024.0 / DOMAINS, (meta1 - meta0) / 1024.0 / DOMAINS);
        }
    }

    private static Object[] make(Hypervisor hv, KernelImage image, boolean own, int i) throws Exception {
        Domain d = hv.createBareDomain(DomainConfig.of("f" + (i + 1), null, 1));
        GuestKernel k = own ? image.newKernelInOwnLoader(d.domid()) : image.newKernel(d.domid());
        return new Object[] {d, k};
    }

    private static long metaspaceUsed() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().contains("Metaspace") || pool.getName().contains("Class Space")) {
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }

    /** The report's footprint section. */
    static String report() throws Exception {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nRetained per additional 1 MiB domain of 'hello' (%d live domains, after full GC):%n", DOMAINS));
        sb.append(String.format(Locale.ROOT, "%-14s %12s %16s%n", "class loader", "heap KiB", "metaspace KiB"));
        for (boolean own : new boolean[] {false, true}) {
            Result r = measure(own);
            sb.append(String.format(Locale.ROOT, "%-14s %12.1f %16.1f%n", r.loader(), r.heapKiB(), r.metaspaceKiB()));
        }
        return sb.toString();
    }
}
