package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.spi.WaitSignals;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LISTEN}s on one channel over a connection of its own and turns each notification (payload = lock
 * name) into a {@link WaitSignals#signal wake-up} of this process's waiters. Started on first need (the first
 * request that has to wait). After each (re)connect every waiter is woken, since notifications may have been
 * missed; waiters also keep a backoff, so a lost notification only delays a hand-off.
 */
final class PgNotificationListener {

    private static final Logger log = LoggerFactory.getLogger(PgNotificationListener.class);
    private static final AtomicLong THREADS = new AtomicLong();
    private static final int POLL_MILLIS = 250;

    private final DataSource dataSource;
    private final String channel;
    private final WaitSignals signals;
    private final String backend;
    private final AtomicLong received = new AtomicLong();

    // guarded by this
    private @Nullable Thread thread;
    private @Nullable Connection connection;
    private boolean closed;

    PgNotificationListener(DataSource dataSource, String channel, WaitSignals signals, String backend) {
        this.dataSource = dataSource;
        this.channel = Jdbc.identifier("notification channel", channel);
        this.signals = signals;
        this.backend = backend;
    }

    /**
     * Makes sure notifications are being received: the first call starts the listening thread, which takes
     * its connection from the pool itself (a waiter never blocks on a busy pool; until LISTEN is in place,
     * waiters rely on their backoff).
     */
    void ensureListening() {
        synchronized (this) {
            if (thread != null || closed) {
                return;
            }
            Thread t = new Thread(this::run, "holdfast-" + backend + "-listener-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            thread = t;
            t.start();
        }
    }

    private Connection listen() throws SQLException {
        Connection c = Jdbc.autoCommitConnection(dataSource);
        try (Statement s = c.createStatement()) {
            s.execute("LISTEN \"" + channel + "\""); // quoted: exactly the channel pg_notify names
            return c;
        } catch (SQLException | RuntimeException e) {
            Jdbc.abortQuietly(c);
            throw e;
        }
    }

    private void run() {
        while (true) {
            Connection c;
            synchronized (this) {
                if (closed) {
                    return;
                }
                c = connection;
            }
            try {
                if (c == null) {
                    c = listen();
                    synchronized (this) {
                        if (closed) {
                            Jdbc.abortQuietly(c);
                            return;
                        }
                        connection = c;
                    }
                    signals.signalAll(); // releases may have been missed while disconnected
                }
                PGNotification[] notes = c.unwrap(PGConnection.class).getNotifications(POLL_MILLIS);
                if (notes != null) {
                    received.addAndGet(notes.length);
                    for (PGNotification note : notes) {
                        signals.signal(note.getParameter());
                    }
                }
            } catch (SQLException | RuntimeException e) {
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    connection = null;
                }
                Jdbc.abortQuietly(c);
                log.debug("{}: notification connection failed, retrying; waiters poll meanwhile", backend, e);
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** How many notifications arrived (tests: to tell a wake-up by notification from one by backoff). */
    long received() {
        return received.get();
    }

    /** Whether the LISTEN connection is open (tests). */
    synchronized boolean listening() {
        return connection != null;
    }

    /** Stops listening and gives the connection back. */
    void close() {
        Connection c;
        Thread t;
        synchronized (this) {
            closed = true;
            c = connection;
            connection = null;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(2 * POLL_MILLIS + 500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (c != null) {
            try (Statement s = c.createStatement()) {
                s.execute("UNLISTEN *");
                c.close();
            } catch (SQLException | RuntimeException e) {
                Jdbc.abortQuietly(c);
            }
        }
    }
}
