//! A connection's socket, TCP or Unix domain, and who is at its other end.
//!
//! The server listens on TCP (IPv4 or IPv6) or on a Unix domain socket (a
//! path, for a proxy on the same machine), so a connection's socket is one
//! of two std types. [`Stream`] is either, with the few calls a connection
//! makes on it: reads and writes through `&Stream`, timeouts, blocking
//! mode, shutdown, and its descriptor for the poller and for the system
//! calls in `sys`. Each is one `match` in front of the call std makes
//! anyway, so serving a request over either costs no allocation and no
//! extra system call. [`Peer`] is who connected: an IP address and port,
//! or a client on this machine through a Unix socket, which has no address
//! worth showing (the kernel gives the client's socket no name unless it
//! binds one, and a name would say nothing about who it is).
//!
//! This module neither listens nor accepts (`server::listener` does), and
//! holds no policy: what a Unix-socket peer may do is its callers' to say
//! (the upload check counts it as local, the access log writes `-`).

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A connected socket: TCP, or a Unix domain stream socket.
#[derive(Debug)]
pub enum Stream {
    /// A TCP connection (IPv4 or IPv6).
    Tcp(TcpStream),
    /// A connection through a Unix domain socket.
    Unix(UnixStream),
}

/// Who is at the other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// A TCP client: its address and port.
    Ip(SocketAddr),
    /// A client on this machine, connected through a Unix domain socket.
    Unix,
}

impl Peer {
    /// The client's IP address; `None` through a Unix socket.
    pub fn ip(self) -> Option<IpAddr> {
        self.addr().map(|addr| addr.ip())
    }

    /// The client's address and port; `None` through a Unix socket.
    pub fn addr(self) -> Option<SocketAddr> {
        match self {
            Peer::Ip(addr) => Some(addr),
            Peer::Unix => None,
        }
    }

    /// Whether the client is on this machine: a loopback address
    /// (`::ffff:127.0.0.1`, IPv4 on a `::` socket, included), or any
    /// client of a Unix socket, which only processes here can reach.
    pub fn is_local(self) -> bool {
        match self {
            Peer::Ip(addr) => addr.ip().to_canonical().is_loopback(),
            Peer::Unix => true,
        }
    }
}

impl Stream {
    /// Turns Nagle's algorithm off (`on`) for TCP, so a small answer leaves
    /// at once. A Unix socket has no such delay: nothing to do.
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nodelay(on),
            Stream::Unix(_) => Ok(()),
        }
    }

    /// The longest a blocking read waits (`None`: for ever).
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    /// The longest a blocking write waits (`None`: for ever).
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(timeout),
            Stream::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    /// Switches the socket between blocking and non-blocking mode.
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(nonblocking),
            Stream::Unix(s) => s.set_nonblocking(nonblocking),
        }
    }

    /// Shuts down one side of the connection or both.
    ///
    /// # Errors
    ///
    /// The system's error (`NotConnected` once the peer is gone).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            Stream::Unix(s) => s.shutdown(how),
        }
    }

    /// A second descriptor for the same socket (`dup`): for a response
    /// that takes the connection over (`Response::hand_over`) while the
    /// connection closes its own.
    ///
    /// # Errors
    ///
    /// The system's error (out of descriptors, for one).
    pub fn try_clone(&self) -> io::Result<Stream> {
        match self {
            Stream::Tcp(s) => s.try_clone().map(Stream::Tcp),
            Stream::Unix(s) => s.try_clone().map(Stream::Unix),
        }
    }
}

impl From<TcpStream> for Stream {
    fn from(stream: TcpStream) -> Stream {
        Stream::Tcp(stream)
    }
}

impl From<UnixStream> for Stream {
    fn from(stream: UnixStream) -> Stream {
        Stream::Unix(stream)
    }
}

impl Read for &Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).read(buf),
            Stream::Unix(s) => (&*s).read(buf),
        }
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).read_vectored(bufs),
            Stream::Unix(s) => (&*s).read_vectored(bufs),
        }
    }
}

impl Write for &Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).write(buf),
            Stream::Unix(s) => (&*s).write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).write_vectored(bufs),
            Stream::Unix(s) => (&*s).write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        // Neither kind buffers in user space.
        Ok(())
    }
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
        }
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn a_unix_peer_is_local_and_has_no_address() {
        assert!(Peer::Unix.is_local());
        assert_eq!((Peer::Unix.ip(), Peer::Unix.addr()), (None, None));
        let loopback = Peer::Ip(SocketAddr::from((Ipv4Addr::LOCALHOST, 9)));
        assert!(loopback.is_local());
        assert_eq!(loopback.ip(), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let mapped = Peer::Ip(SocketAddr::from((Ipv4Addr::LOCALHOST.to_ipv6_mapped(), 9)));
        assert!(mapped.is_local(), "IPv4 loopback on a :: socket");
        let remote = Peer::Ip(SocketAddr::from((
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            9,
        )));
        assert!(!remote.is_local());
    }

    #[test]
    fn both_kinds_carry_bytes_both_ways() {
        let (a, b) = UnixStream::pair().unwrap();
        let (a, b) = (Stream::from(a), Stream::from(b));
        a.set_nodelay(true).unwrap();
        (&a).write_all(b"ping").unwrap();
        let mut got = [0u8; 4];
        (&b).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");
        a.shutdown(Shutdown::Write).unwrap();
        assert_eq!((&b).read(&mut got).unwrap(), 0);

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = Stream::from(TcpStream::connect(listener.local_addr().unwrap()).unwrap());
        let server = Stream::from(listener.accept().unwrap().0);
        (&client).write_all(b"pong").unwrap();
        (&server).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"pong");
        assert_ne!(client.as_raw_fd(), server.as_raw_fd());
    }
}
