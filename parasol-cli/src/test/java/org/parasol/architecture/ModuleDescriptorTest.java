package org.parasol.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The compiled module descriptors. Tests run on the class path, where module boundaries do not
 * apply, so the launcher's named-module guarantees are checked on the descriptors themselves.
 */
class ModuleDescriptorTest {

    private static ModuleDescriptor read(String module) throws IOException {
        Path descriptor = ParasolModules.root().resolve(module).resolve("target/classes/module-info.class");
        assertThat(descriptor).as("%s is built before parasol-cli's tests run", module).isRegularFile();
        try (InputStream in = Files.newInputStream(descriptor)) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    @DisplayName("pv-hypervisor is the named module org.parasol.hypervisor and opens no package")
    void shouldKeepTheHypervisorModuleClosed() throws IOException {
        ModuleDescriptor hypervisor = read("pv-hypervisor");

        assertThat(hypervisor.name()).isEqualTo("org.parasol.hypervisor");
        assertThat(hypervisor.isOpen()).isFalse();
        assertThat(hypervisor.opens()).isEmpty();
    }

    @Test
    @DisplayName("pv-hypervisor exports only to org.parasol.cli (qualified), never to everyone: guest modules reach none of it")
    void shouldExportTheHypervisorOnlyToTheCli() throws IOException {
        ModuleDescriptor hypervisor = read("pv-hypervisor");

        assertThat(hypervisor.exports()).isNotEmpty().allSatisfy(e -> {
            assertThat(e.isQualified()).as("export of %s is qualified", e.source()).isTrue();
            assertThat(e.targets()).containsExactly("org.parasol.cli");
        });
        assertThat(hypervisor.exports()).extracting(ModuleDescriptor.Exports::source)
                .as("the packages of guest-facing objects (VcpuMmu in mm) and of the internals")
                .doesNotContain("org.parasol.hypervisor.mm", "org.parasol.hypervisor.hypercall",
                        "org.parasol.hypervisor.event", "org.parasol.hypervisor.grant", "org.parasol.hypervisor.sched");
    }

    @Test
    @DisplayName("the CLI is the named module org.parasol.cli and needs nothing of guests (no guest kernel, driver or toolstack)")
    void shouldKeepGuestCodeOffTheCliModulePath() throws IOException {
        ModuleDescriptor cli = read("parasol-cli");

        assertThat(cli.name()).isEqualTo("org.parasol.cli");
        assertThat(cli.requires()).extracting(ModuleDescriptor.Requires::name)
                .containsExactlyInAnyOrder("java.base", "org.parasol.hypervisor", "org.parasol.control",
                        "com.google.protobuf", "info.picocli", "jdk.unsupported",
                        // xenstored's Unix socket: Netty's epoll transport and its native library
                        "io.netty.transport", "io.netty.buffer", "io.netty.common", "io.netty.transport.unix.common",
                        "io.netty.transport.classes.epoll", "io.netty.transport.epoll.linux.x86_64",
                        "io.netty.codec");
    }

    @Test
    @DisplayName("hypercall-api's module requires nothing but java.base")
    void shouldKeepTheAbiModuleFreeOfDependencies() throws IOException {
        ModuleDescriptor abi = read("hypercall-api");

        assertThat(abi.name()).isEqualTo("org.parasol.hypercall");
        assertThat(abi.requires()).extracting(ModuleDescriptor.Requires::name).containsExactly("java.base");
    }
}
