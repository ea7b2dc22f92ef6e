//! A real `redis-server` on a free loopback port, for tests of a fleet
//! sharing tokens through Redis. It can be stopped and started again on
//! the same port, to test what clients do while Redis is away.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` process this test owns; killed when dropped.
///
/// The binary is `$WXA_REDIS_SERVER` if set, else `redis-server` on the
/// `PATH` (the project's test command installs it when missing). No
/// persistence: a restart starts empty, as a lost Redis would.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    binary: PathBuf,
    child: Option<Child>,
}

/// Why a `redis-server` could not be had.
#[derive(Debug)]
pub struct RedisServerError(String);

impl std::fmt::Display for RedisServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisServerError {}

impl RedisServer {
    /// Starts one on a free loopback port and waits until it answers.
    pub fn start() -> Result<RedisServer, RedisServerError> {
        let binary = std::env::var_os("WXA_REDIS_SERVER").map_or_else(|| PathBuf::from("redis-server"), PathBuf::from);
        let mut last_error = None;
        // A port found free may be taken before redis-server binds it.
        for _ in 0..5 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .map_err(|e| RedisServerError(format!("no free loopback port: {e}")))?
                .port();
            let mut server = RedisServer { port, binary: binary.clone(), child: None };
            match server.start_again() {
                Ok(()) => return Ok(server),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| RedisServerError("redis-server did not start".into())))
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (as a crash would) and waits for it to go.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty, and waits until it answers.
    pub fn start_again(&mut self) -> Result<(), RedisServerError> {
        self.stop();
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                RedisServerError(format!(
                    "cannot run `{}` ({e}); install redis-server (scripts/test.sh does) or set WXA_REDIS_SERVER",
                    self.binary.display()
                ))
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(RedisServerError(format!("redis-server exited at start ({status}); port {} taken?", self.port)));
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(RedisServerError(format!("redis-server did not listen on port {} within 10 s", self.port)));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Someone else's server may have answered: ours must still run.
        std::thread::sleep(Duration::from_millis(20));
        if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
            self.child = None;
            return Err(RedisServerError(format!("redis-server exited at start ({status}); port {} taken", self.port)));
        }
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
