// Serves one PGlite database to many `pg` client connections over the
// Postgres wire protocol.
//
// Why not @electric-sql/pglite-socket's server: PGlite is a single backend
// (one session, one unnamed statement and portal), and that server queues
// each protocol *message* separately, so the Parse/Bind/Execute/Sync of two
// connections interleave; under concurrent parameterised queries clients get
// `portal "" does not exist` or another connection's rows (reproduced with 16
// pooled connections). This server queues whole *units* instead: everything a
// connection sends up to and including a Sync or a simple Query runs in one
// exclusive turn. While a connection holds an open transaction block only its
// units run, so transactions never interleave; if it disconnects inside one,
// the transaction is rolled back.
//
// Still true of any PGlite sharing: session state is shared by every client
// (SET, named prepared statements, advisory locks), so clients must not use
// named prepared statements or per-connection settings. The store knows this
// (`embedded: true` disables named statements).
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

interface Unit {
  connection: WireConnection;
  messages: Uint8Array[];
}

class WireConnection {
  buffer: Buffer = Buffer.alloc(0);
  started = false;
  pending: Uint8Array[] = [];
  closed = false;
  constructor(readonly socket: net.Socket) {}
}

export class PGliteWireServer {
  private readonly server: net.Server;
  private readonly connections = new Set<WireConnection>();
  private readonly queue: Unit[] = [];
  /** The connection whose open transaction block every other one waits for. */
  private owner: WireConnection | null = null;
  private running = false;

  constructor(
    private readonly db: PGlite,
    readonly maxConnections: number,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.maxConnections = maxConnections;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.socket.destroy();
    await closed;
    // Let a unit in progress finish before the caller closes the database.
    await this.db.runExclusive(async () => undefined);
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const connection = new WireConnection(socket);
    this.connections.add(connection);
    socket.on('data', (chunk: Buffer) => this.receive(connection, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.drop(connection));
  }

  private receive(connection: WireConnection, chunk: Buffer): void {
    connection.buffer = connection.buffer.length === 0 ? chunk : Buffer.concat([connection.buffer, chunk]);
    for (;;) {
      const buffer = connection.buffer;
      if (!connection.started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        connection.buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          connection.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          // Cancelling is not supported by PGlite: close as a server would.
          connection.socket.end();
          return;
        }
        if (code !== PROTOCOL_3) {
          connection.socket.destroy();
          return;
        }
        connection.started = true;
        this.enqueue({ connection, messages: [new Uint8Array(buffer.subarray(0, length))] });
        continue;
      }
      if (buffer.length < 5) return;
      const length = 1 + buffer.readInt32BE(1);
      if (buffer.length < length) return;
      const type = String.fromCharCode(buffer[0]!);
      const message = new Uint8Array(buffer.subarray(0, length));
      connection.buffer = buffer.subarray(length);
      if (type === 'X') {
        connection.socket.end();
        return;
      }
      connection.pending.push(message);
      // Sync ends an extended-protocol exchange, Query is a whole simple
      // exchange, Flush asks for the output so far: each ends a unit.
      if (type === 'S' || type === 'Q' || type === 'H') {
        const messages = connection.pending;
        connection.pending = [];
        this.enqueue({ connection, messages });
      }
    }
  }

  private enqueue(unit: Unit): void {
    this.queue.push(unit);
    void this.run();
  }

  private drop(connection: WireConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    this.connections.delete(connection);
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.connection === connection) this.queue.splice(i, 1);
    void this.run();
  }

  private next(): Unit | undefined {
    if (this.owner) {
      const at = this.queue.findIndex((u) => u.connection === this.owner);
      return at < 0 ? undefined : this.queue.splice(at, 1)[0];
    }
    return this.queue.shift();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (this.owner?.closed) {
          // The transaction's client went away: undo it so others can proceed.
          // Not inside runExclusive: exec() takes the same mutex. Nothing
          // else can run meanwhile: this loop is the only one issuing work.
          if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
          this.owner = null;
        }
        const unit = this.next();
        if (!unit) return;
        try {
          await this.execute(unit);
        } catch {
          // PGlite reports SQL errors in-band; a throw here means the
          // connection's state is unknown, so drop it rather than guess.
          unit.connection.socket.destroy();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(unit: Unit): Promise<void> {
    const { connection } = unit;
    const out: Uint8Array[] = [];
    await this.db.runExclusive(async () => {
      const last = unit.messages.length - 1;
      for (let i = 0; i <= last; i++) {
        await this.db.execProtocolRawStream(unit.messages[i]!, { syncToFs: i === last, onRawData: (data) => out.push(data.slice()) });
      }
      this.owner = this.db.isInTransaction() ? connection : null;
    });
    if (!connection.closed && connection.socket.writable && out.length > 0) connection.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }
}
