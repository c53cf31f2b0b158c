/**
 * The {@code parasol} command. A named module, so that the hypervisor can export its host
 * API to it alone: guest code (in the unnamed modules of its own class loaders) can reach no
 * package of {@code org.parasol.hypervisor}. The launcher runs it on the module path with
 * the hypervisor, hypercall-api, the control API (for xl.cfg files), protobuf-java, picocli
 * and Netty's epoll transport (xenstored's Unix socket), and nothing else: no guest image
 * code is on the host's path.
 */
module org.parasol.cli {
    requires org.parasol.hypervisor;
    requires org.parasol.control;
    requires com.google.protobuf;
    requires info.picocli;
    // sun.misc.Signal: parasol run's own Ctrl-C and SIGTERM handlers (a cooperative shutdown).
    requires jdk.unsupported;
    // xenstored's Unix socket: Netty's epoll transport, and its native library's module.
    requires io.netty.transport;
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.transport.unix.common;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.epoll.linux.x86_64;
    // The control API's frames (LengthFieldBasedFrameDecoder).
    requires io.netty.codec;

    // picocli sets the annotated option fields of the commands reflectively.
    opens org.parasol.cli to info.picocli;
}
