/**
 * The control API: the protocol between the {@code parasol} command and dom0's toolstack
 * (Protocol Buffers messages, generated into {@code org.parasol.control.v1}) and the xl.cfg
 * reader that fills them. A named module so the command line, which runs on the module path,
 * can require it; it reads no Parasol module, so using it puts no guest code on the host's
 * path.
 */
module org.parasol.control {
    requires com.google.protobuf;

    exports org.parasol.control;
    exports org.parasol.control.v1;
    exports org.parasol.control.client;
}
