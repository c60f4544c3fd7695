use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws client.
pub struct WsClient {
    socket: Socket,
    next_id: u32,
}

impl WsClient {
    /// Connects and completes `connection_init` (with the key, if any).
    pub async fn connect(url: &str, key: Option<&str>) -> Self {
        let payload = match key {
            Some(key) => json!({ "authorization": format!("Bearer {key}") }),
            None => json!({}),
        };
        Self::connect_with(url, payload).await
    }

    /// Connects and completes `connection_init` with this payload, as a client sent it.
    pub async fn connect_with(url: &str, payload: Value) -> Self {
        let mut request = url.into_client_request().expect("ws url");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects");
        let mut client = Self { socket, next_id: 0 };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client.receive().await.expect("a reply to connection_init");
        assert_eq!(ack["type"], "connection_ack", "unexpected reply: {ack}");
        client
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("ws send");
    }

    /// The next protocol message (pings answered), or None when the socket closed.
    pub async fn receive(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .expect("a websocket message within 30 s")?
                .ok()?;
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON message");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(value);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Starts an operation; returns its id.
    pub async fn subscribe(&mut self, query: &str, variables: Value) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
        id
    }

    /// Messages for `id` until `complete` or `error`, calling `on_next` for each
    /// `next` payload; stops early when `on_next` returns false.
    pub async fn collect(
        &mut self,
        id: &str,
        mut on_next: impl FnMut(&Value) -> bool,
    ) -> Vec<Value> {
        let mut messages = Vec::new();
        while let Some(message) = self.receive().await {
            if message["id"] != id {
                continue;
            }
            let kind = message["type"].as_str().unwrap_or_default().to_owned();
            messages.push(message.clone());
            match kind.as_str() {
                "next" if !on_next(&message["payload"]) => break,
                "error" | "complete" => break,
                _ => {}
            }
        }
        messages
    }
}
