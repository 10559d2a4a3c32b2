//! The connection the `tls` link established, handed on to carry the GET:
//! one handshake both judges the chain and serves the request, as curl's one
//! connection does.
//!
//! Reads and writes are bounded by the shared budget between every socket
//! call (a server that answers one byte a second runs out the budget, not the
//! socket timeout). What the server does after the handshake is recorded in
//! the [`SessionRecord`], which outlives the connection: a server that asked
//! for a client certificate may refuse only then, with an alert (TLS 1.3) or
//! with an HTTP error page, and that refusal belongs to `tls.handshake`.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::ClientConnection;

use super::judge::{self, Context, HandshakeFacts};
use crate::budget::Budget;
use crate::report::Check;

/// An established TLS connection to the target, ready for a request.
pub struct Session {
    conn: ClientConnection,
    stream: TcpStream,
    record: Arc<SessionRecord>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

/// What the handshake found and what the server did after it.
#[derive(Debug)]
pub struct SessionRecord {
    facts: HandshakeFacts,
    ctx: Context,
    late_error: Mutex<Option<rustls::Error>>,
}

impl SessionRecord {
    /// Whether the server asked for a client certificate during the handshake.
    pub fn client_certificate_requested(&self) -> bool {
        self.facts.client_cert_requested
    }

    /// The TLS error the server caused after the handshake (an alert), if any.
    pub fn late_error(&self) -> Option<rustls::Error> {
        self.late_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `tls.handshake` failing with `client-certificate-required`, when the
    /// server asked for a client certificate and then refused the request
    /// (`status` and `body` are its HTTP answer, if one came); `None` when
    /// nothing says so.
    pub fn client_certificate_refusal(&self, status: Option<u16>, body: &[u8]) -> Option<Check> {
        judge::judge_late_refusal(
            &self.facts,
            &self.ctx,
            self.late_error().as_ref(),
            status,
            body,
        )
    }
}

impl Session {
    pub(super) fn new(
        conn: ClientConnection,
        stream: TcpStream,
        facts: HandshakeFacts,
        ctx: Context,
    ) -> Self {
        Session {
            conn,
            stream,
            record: Arc::new(SessionRecord {
                facts,
                ctx,
                late_error: Mutex::new(None),
            }),
        }
    }

    /// The record of this connection, which stays readable after the
    /// session is handed on and dropped.
    pub fn record(&self) -> Arc<SessionRecord> {
        Arc::clone(&self.record)
    }

    /// Sends all of `data`, within the budget.
    pub fn write_all(&mut self, data: &[u8], budget: &Budget) -> io::Result<()> {
        self.conn.writer().write_all(data)?;
        self.flush(budget)
    }

    /// Reads decrypted bytes into `buf`: `Ok(0)` once the server has closed
    /// the connection properly (close_notify), an error of kind `TimedOut`
    /// when the budget runs out, `UnexpectedEof` when the server closed
    /// without close_notify, `InvalidData` (wrapping the rustls error) when the
    /// server sent an alert or broke the protocol.
    pub fn read(&mut self, buf: &mut [u8], budget: &Budget) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            self.flush(budget)?;
            arm(&self.stream, budget)?;
            // At the end of the stream rustls's reader answers UnexpectedEof
            // (or 0 after close_notify) on the next turn.
            self.conn.read_tls(&mut self.stream).map_err(timed_out)?;
            let processed = self.conn.process_new_packets();
            if let Err(e) = processed {
                *self
                    .record
                    .late_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(e.clone());
                // Send our alert, as a well-behaved client does.
                let _ = self.flush(budget);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }

    /// Ends the connection politely (close_notify), within the budget.
    pub fn close(mut self, budget: &Budget) {
        self.conn.send_close_notify();
        let _ = self.flush(budget);
    }

    fn flush(&mut self, budget: &Budget) -> io::Result<()> {
        while self.conn.wants_write() {
            arm(&self.stream, budget)?;
            self.conn.write_tls(&mut self.stream).map_err(timed_out)?;
        }
        Ok(())
    }
}

/// Bounds the next blocking socket call by what is left of the budget.
fn arm(stream: &TcpStream, budget: &Budget) -> io::Result<()> {
    let left = budget.remaining();
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    stream.set_read_timeout(Some(left))?;
    stream.set_write_timeout(Some(left))
}

/// A socket timeout (Linux says WouldBlock) as the one kind callers look for.
fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::ErrorKind::TimedOut.into()
    } else {
        e
    }
}
