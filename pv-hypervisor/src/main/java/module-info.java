/**
 * The Parasol hypervisor: machine memory, domains, vCPUs, the hypercall table, event
 * channels, grant tables, timers and the scheduler. Mechanism only.
 *
 * <p>A named module that opens no package and exports its host API only to the module that
 * boots hosts, {@code org.parasol.cli} (qualified exports). Guest code runs in the unnamed
 * modules of its own class loaders, whose parent serves only {@code org.parasol.hypercall}
 * and a reviewed list of JDK classes: it can neither name a hypervisor class nor, holding a
 * hypervisor object (its {@code Cpu}, its {@code GuestMemory}), reach anything of it beyond
 * the hypercall-api interface, even reflectively. Tests and benchmarks run on the class path,
 * where module boundaries do not apply.
 */
module org.parasol.hypervisor {
    requires transitive org.parasol.hypercall;
    requires java.management; // admission reads the heap's usage after the last collection

    exports org.parasol.hypervisor to org.parasol.cli;
    exports org.parasol.hypervisor.domain to org.parasol.cli;
    exports org.parasol.hypervisor.image to org.parasol.cli;
}
