"""TLS against brokers serving the shared test certificates (``testdata/tls/``): a verified
chain, a wrong host name, an expired certificate, trust-all, and cleartext to a TLS-only
port, each with its typed error."""

import pathlib

import pytest

import rmq
from rmq.testing import MiniBroker

CERTS = pathlib.Path(__file__).resolve().parents[2] / "testdata" / "tls"
CA = (CERTS / "ca.pem").read_text()


def broker(name: str, tls_only: bool = False) -> MiniBroker:
    return MiniBroker(topics={"t": "NORMAL"}, tls_cert=CERTS / f"{name}.pem",
                      tls_key=CERTS / f"{name}.key", tls_only=tls_only)


def send_one(config: rmq.ClientConfig) -> None:
    with rmq.Producer(config, topics=["t"]) as producer:
        producer.send(rmq.Message("t", b"x"))


def test_a_chain_signed_by_the_trusted_ca_is_verified():
    with broker("localhost") as b:
        send_one(b.config(tls_ca_pem=CA))
        assert len(b.messages("t")) == 1


@pytest.mark.parametrize("name, words", [("wrong-host", "not valid for name"),
                                         ("expired", "expired")])
def test_a_wrong_host_or_an_expired_certificate_is_a_network_error(name, words):
    with broker(name) as b:
        with pytest.raises(rmq.NetworkError, match="certificate") as caught:
            send_one(b.config(tls_ca_pem=CA, request_timeout=2.0))
        assert words in str(caught.value)
        assert caught.value.kind == "network"
        # Trust-all takes even this certificate (development only).
        send_one(b.config(tls="trust-all"))
        assert len(b.messages("t")) == 1


def test_cleartext_to_a_tls_only_port_is_a_network_error_that_names_tls():
    with broker("localhost", tls_only=True) as b:
        with pytest.raises(rmq.NetworkError, match="TLS"):
            send_one(b.config(request_timeout=2.0))
        send_one(b.config(tls_ca_pem=CA))
        assert len(b.messages("t")) == 1


def test_tls_files_go_together():
    with pytest.raises(ValueError, match="together"):
        MiniBroker(tls_cert=CERTS / "localhost.pem")
