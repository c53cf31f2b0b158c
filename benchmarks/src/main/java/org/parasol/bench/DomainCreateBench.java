package org.parasol.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
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
 * What another domain of an already loaded image costs: build a 1 MiB domain (frames, P2M,
 * bootstrap page tables, start_info, shared_info, vCPU and event structures), make its
 * kernel instance from the {@code hello} image, and destroy it again — with the image's
 * shared class loader, or with a class loader of the domain's own. No vCPU thread is started:
 * thread creation is the JVM's cost, not Parasol's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DomainCreateBench {
    @Param({"shared", "perDomain"})
    public String loader;

    private Hypervisor hv;
    private KernelImage image;
    private DomainConfig cfg;
    private int n;

    @Setup(Level.Trial)
    public void boot() {
        hv = Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1));
        image = new ImageLoader(ImageRepository.standard()).load("hello");
        cfg = DomainConfig.of("d", null, 1);
    }

    @TearDown(Level.Trial)
    public void close() {
        hv.close();
    }

    /** Create a domain and its kernel, then destroy it. */
    @Benchmark
    public GuestKernel createAndDestroy() throws Exception {
        Domain d = hv.createBareDomain(cfg.withName("d" + (n++ & 1023)));
        GuestKernel k = "shared".equals(loader) ? image.newKernel(d.domid()) : image.newKernelInOwnLoader(d.domid());
        hv.destroy(d);
        return k;
    }
}
