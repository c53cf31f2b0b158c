package org.parasol.hypervisor.hvm;

/**
 * Memory as a bus-master device reaches it: by address, with an IOMMU in front. A device model
 * that masters the bus ({@link AtaDisk}'s bus-master engine) moves bytes through this and
 * nothing else, so what it may touch is decided in one place — the domain's
 * ({@code domain.DomainDma}), as VT-d's page tables decide it for a passed-through device.
 *
 * <p>Addresses are what the guest wrote into the device (a PRD entry's base): in Parasol's
 * native configurations, machine addresses (no guest-physical layer, deviation 34). Each call
 * moves {@code length} bytes ({@code 0 < length}, at most the bytes left in {@code array}
 * from {@code offset}) and answers false, having moved nothing of the refused page or beyond,
 * when any page the range touches is not one the device may use that way; it never throws for
 * a guest-chosen address. Called on the vCPU thread doing the port access that started the
 * transfer; allocates nothing.
 */
public interface DmaMemory {
    /** Memory to device: the bytes at {@code address} into {@code array}; false if refused. */
    boolean read(long address, byte[] array, int offset, int length);

    /** Device to memory: {@code array}'s bytes to {@code address}; false if refused. */
    boolean write(long address, byte[] array, int offset, int length);

    /** A bus with nothing on it: every access refused (a disk not yet connected to its domain). */
    DmaMemory NONE = new DmaMemory() {
        @Override
        public boolean read(long address, byte[] array, int offset, int length) {
            return false;
        }

        @Override
        public boolean write(long address, byte[] array, int offset, int length) {
            return false;
        }
    };
}
