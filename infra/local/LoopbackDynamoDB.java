// Starts DynamoDB Local with its HTTP listener on 127.0.0.1 only.
//
// DynamoDB Local's own main (ServerRunner) has no option for the listening
// interface: its Jetty server is built with new Server(port), which binds
// every interface. This launcher builds the same server from the same
// command line through ServerRunner, sets the host of its connector to
// 127.0.0.1 before the server starts, and refuses to run if the server is
// not built the way it expects, so it can never fall back to listening on
// every interface.
//
// Compiled by stack.sh install against the DynamoDB Local jar; run as
//   java -cp <launcher classes>:DynamoDBLocal.jar LoopbackDynamoDB -inMemory -port N ...
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDB {
  private static final String HOST = "127.0.0.1";

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Server server = jetty(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) {
      fail("DynamoDB Local built a server with no connector");
    }
    for (Connector c : connectors) {
      if (!(c instanceof ServerConnector sc)) {
        fail("DynamoDB Local built a connector of type " + c.getClass().getName());
        return;
      }
      sc.setHost(HOST);
    }
    // DynamoDBProxyServer.start reports a failed bind on stderr and stops
    // the server instead of throwing: check that it really listens.
    proxy.start();
    for (Connector c : connectors) {
      ServerConnector sc = (ServerConnector) c;
      if (!server.isStarted() || sc.getLocalPort() <= 0 || !HOST.equals(sc.getHost())) {
        fail("DynamoDB Local did not start on " + HOST);
      }
      System.out.println("DynamoDB Local listening on " + HOST + ":" + sc.getLocalPort());
    }
    proxy.join();
  }

  // jetty returns the Jetty server inside DynamoDBProxyServer, which keeps
  // it in a private field and offers no way to configure its connector.
  private static Server jetty(DynamoDBProxyServer proxy) throws ReflectiveOperationException {
    Field f = DynamoDBProxyServer.class.getDeclaredField("server");
    f.setAccessible(true);
    return (Server) f.get(proxy);
  }

  private static void fail(String why) {
    System.err.println("LoopbackDynamoDB: " + why + "; refusing to start");
    System.exit(1);
  }
}
