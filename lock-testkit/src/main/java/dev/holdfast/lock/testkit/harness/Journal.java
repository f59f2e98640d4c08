package dev.holdfast.lock.testkit.harness;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A worker's record of what happened, one line per event, each written straight to the file as it
 * happens (no user-space buffer), so a worker killed with SIGKILL loses nothing it already recorded.
 * Times are {@link System#nanoTime()}, one monotonic clock for every process on the machine (Linux).
 *
 * <pre>
 * S time pid                         worker ready (provider built)
 * G name token owner start           grant returned
 * L owner time                       onLost ran
 * W owner before after accepted held ledger write sent/answered: accepted 1 / rejected 0 / failed -1; held = isHeld() before it
 * E owner end deadline lostAt seen   work ended (just before release); deadline = local deadline then
 * X time message                     a backend error (acquire or release failed)
 * </pre>
 */
final class Journal implements AutoCloseable {

    private final FileOutputStream out;

    Journal(Path file) {
        try {
            this.out = new FileOutputStream(file.toFile(), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String enc(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String dec(String s) {
        return new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
    }

    void started(long pid) {
        line("S " + System.nanoTime() + " " + pid);
    }

    void grant(String name, long token, String owner, long start) {
        line("G " + enc(name) + " " + token + " " + enc(owner) + " " + start);
    }

    void lost(String owner, long at) {
        line("L " + enc(owner) + " " + at);
    }

    void write(String owner, long before, long after, int accepted, boolean held) {
        line("W " + enc(owner) + " " + before + " " + after + " " + accepted + " " + held);
    }

    void end(String owner, long end, long deadline, long lostAt, boolean seenLost) {
        line("E " + enc(owner) + " " + end + " " + deadline + " " + lostAt + " " + seenLost);
    }

    void error(String message) {
        line("X " + System.nanoTime() + " " + enc(message.length() > 300 ? message.substring(0, 300) : message));
    }

    private void line(String s) {
        byte[] b = (s + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            try {
                out.write(b); // one write(2) per line: in the kernel once it returns
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            // closing
        }
    }

    /** The start times of the grants a journal shows as not ended yet. */
    static List<Long> openGrantStarts(Path file) {
        Map<String, Long> open = new HashMap<>();
        if (!Files.exists(file)) {
            return List.of();
        }
        for (String[] f : read(file)) {
            if (f[0].equals("G")) {
                open.put(f[3], Long.parseLong(f[4]));
            } else if (f[0].equals("E")) {
                open.remove(f[1]);
            }
        }
        return List.copyOf(open.values());
    }

    /** Reads a journal's lines, split into fields; a torn last line (killed mid-write) is skipped. */
    static List<String[]> read(Path file) {
        List<String[]> out = new ArrayList<>();
        try {
            String all = Files.readString(file, StandardCharsets.UTF_8);
            int lastNewline = all.lastIndexOf('\n');
            if (lastNewline < 0) {
                return out;
            }
            for (String l : all.substring(0, lastNewline).split("\n")) {
                if (!l.isBlank()) {
                    out.add(l.split(" "));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
