package sluice.bench;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of one input as Sluice's bench package dumped them: per
 * record a big-endian int32 key length, the key, an int32 value length,
 * the value and an int64 timestamp. The peer reads them all into memory
 * first so that reading files is not part of what is measured.
 */
final class Dump {
    final List<byte[]> keys = new ArrayList<>();
    final List<byte[]> values = new ArrayList<>();
    final List<Long> timestamps = new ArrayList<>();

    static Dump read(Path file) throws IOException {
        Dump d = new Dump();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(file.toFile()), 1 << 20))) {
            while (true) {
                int kl;
                try {
                    kl = in.readInt();
                } catch (EOFException e) {
                    return d;
                }
                byte[] k = new byte[kl];
                in.readFully(k);
                byte[] v = new byte[in.readInt()];
                in.readFully(v);
                d.keys.add(k);
                d.values.add(v);
                d.timestamps.add(in.readLong());
            }
        }
    }

    int size() {
        return keys.size();
    }
}
