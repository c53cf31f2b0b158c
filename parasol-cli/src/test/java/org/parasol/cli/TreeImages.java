package org.parasol.cli;

import java.util.List;

import org.parasol.architecture.ParasolModules;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.image.ImageLoader;
import org.parasol.hypervisor.image.ImageRepository;

/**
 * The images a test host boots from: dom0's (pv-toolstack) and the examples', as packaged in
 * this tree's {@code target/images} folders, which parasol-cli's tests run after.
 */
final class TreeImages {
    private TreeImages() {
    }

    /** A kernel source that loads dom0 and the example images by name. */
    static Hypervisor.KernelSource dom0AndExamples() {
        var root = ParasolModules.root();
        return Hypervisor.images(new ImageLoader(new ImageRepository(List.of(
                root.resolve("pv-toolstack/target/images"), root.resolve("examples/target/images")))));
    }
}
