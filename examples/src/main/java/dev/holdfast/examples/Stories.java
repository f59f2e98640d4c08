package dev.holdfast.examples;

import java.util.List;

/** The stories the demo runs, in order. */
final class Stories {

    private Stories() {
    }

    static List<Story> all() {
        return List.of(new ScaledOutWorkers(), new SellersPaidTwice(), new InvoicesSentTwice(), new TwoEditors(),
                new RaffleTickets(), new NightlyJobOnEveryServer());
    }

    static Story byId(String id) {
        return all().stream().filter(s -> s.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no story '" + id + "'"));
    }
}
