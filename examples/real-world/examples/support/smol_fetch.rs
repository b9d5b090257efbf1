//! A real HTTP/1 client for smol (hyper's client over smol's TCP), shared
//! by the smol examples and their tests.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use std::fmt;
use std::net::SocketAddr;

/// Why a fetch failed.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// The server answered with a status other than 2xx.
    Status(u16),
    /// The request could not be made or the answer not read.
    Http(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Status(code) => write!(f, "HTTP {code}"),
            FetchError::Http(why) => write!(f, "{why}"),
        }
    }
}

fn http_error(error: impl fmt::Display) -> FetchError {
    FetchError::Http(error.to_string())
}

/// GETs `path` from `addr` on a connection of its own and returns the body.
///
/// The connection is driven right here, next to the request, rather than
/// spawned: dropping this future (a deadline, a fail-fast sibling) drops
/// the connection with it.
pub(crate) async fn fetch(addr: SocketAddr, path: &str) -> Result<String, FetchError> {
    let stream = smol::net::TcpStream::connect(addr)
        .await
        .map_err(http_error)?;
    let io = smol_hyper::rt::FuturesIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(http_error)?;
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .map_err(http_error)?;
    let exchange = async {
        let response = sender.send_request(request).await.map_err(http_error)?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(http_error)?;
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        Ok(String::from_utf8_lossy(&body.to_bytes()).into_owned())
    };
    let connection = async { connection.await.map_err(http_error) };
    futures::pin_mut!(exchange, connection);
    match futures::future::select(exchange, connection).await {
        futures::future::Either::Left((answer, _)) => answer,
        // The connection ended first: the exchange has its answer, or fails.
        futures::future::Either::Right((Ok(()), exchange)) => exchange.await,
        futures::future::Either::Right((Err(error), _)) => Err(error),
    }
}
