package org.parasol.bench;

/**
 * The baseline for a hypercall: a megamorphic interface call, the cheapest thing a
 * dispatch through a table of handlers could possibly cost. Four receiver types at one call
 * site defeat inlining, as a hypercall table with many families does.
 */
interface Megamorphic {
    long call(long a1, long a2, long a3);

    /** Four receivers used round-robin at one call site. */
    static Megamorphic[] receivers() {
        return new Megamorphic[] {new A(), new B(), new C(), new D()};
    }

    final class A implements Megamorphic {
        @Override
        public long call(long a1, long a2, long a3) {
            return a1 + 1;
        }
    }

    final class B implements Megamorphic {
        @Override
        public long call(long a1, long a2, long a3) {
            return a2 ^ 3;
        }
    }

    final class C implements Megamorphic {
        @Override
        public long call(long a1, long a2, long a3) {
            return a3 - 7;
        }
    }

    final class D implements Megamorphic {
        @Override
        public long call(long a1, long a2, long a3) {
            return a1 * 31 + a2;
        }
    }
}
