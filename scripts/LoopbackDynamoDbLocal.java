// Starts DynamoDB Local (AWS's jar, unchanged) listening on the given addresses only.
//
// The jar has no bind option: run with `-jar`, its Jetty server listens on every interface, so a
// laptop on a shared network would serve the local chat data to it. This launcher builds the same
// server through DynamoDB Local's embedding API (`ServerRunner.createServerFromCommandLineArgs`,
// the one AWS documents for running it inside tests), sets the host of its connector before it
// starts, and adds one connector per further address (scripts/sam-local.sh: Docker's bridge, for
// the containers). Nothing listens anywhere else, not even for a moment.
//
// Usage (scripts/lib.sh compiles and runs it):
//   java -cp DynamoDBLocal.jar:DynamoDBLocal_lib/*:<classes> LoopbackDynamoDbLocal \
//       127.0.0.1[,<address>...] <DynamoDB Local's own options>

import java.lang.reflect.Field;
import java.util.Arrays;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDbLocal {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: LoopbackDynamoDbLocal <address>[,<address>...] <options>");
        }
        String[] addresses = args[0].split(",");
        DynamoDBProxyServer proxy =
                ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));

        // the Jetty server DynamoDB Local built, with its one connector on every interface
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length != 1 || !(connectors[0] instanceof ServerConnector)) {
            throw new IllegalStateException(
                    "this DynamoDB Local does not build the one connector this launcher knows; refusing to start");
        }
        ServerConnector first = (ServerConnector) connectors[0];
        first.setHost(addresses[0]);
        for (String address : Arrays.copyOfRange(addresses, 1, addresses.length)) {
            ServerConnector more = new ServerConnector(server);
            more.setHost(address);
            more.setPort(first.getPort());
            server.addConnector(more);
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on " + String.join(", ", addresses)
                + " port " + first.getPort() + " only");
        proxy.join();
    }
}
