<?php
/**
 * Prints the X-Signature header value for a notification body.
 *
 * Usage: php bin/sign.php <secret> <timestamp> <body-file>
 *
 * The body file is signed byte for byte (a trailing newline in it is part of the body).
 */

declare(strict_types=1);

require_once __DIR__ . '/../Model/Signer.php';

use Stockbridge\Notifications\Model\Signer;

$usage = "usage: php bin/sign.php <secret> <timestamp> <body-file>\n";

if ($argc !== 4) {
    fwrite(STDERR, $usage);
    exit(2);
}

[, $secret, $timestamp, $bodyFile] = $argv;

if (preg_match('/^-?[0-9]+$/', $timestamp) !== 1
    || filter_var($timestamp, FILTER_VALIDATE_INT) === false
) {
    fwrite(STDERR, "sign.php: timestamp must be whole Unix seconds, got '$timestamp'\n" . $usage);
    exit(2);
}

if (!is_file($bodyFile) || !is_readable($bodyFile)) {
    fwrite(STDERR, "sign.php: cannot read body file '$bodyFile'\n");
    exit(1);
}

$body = file_get_contents($bodyFile);
if ($body === false) {
    fwrite(STDERR, "sign.php: cannot read body file '$bodyFile'\n");
    exit(1);
}

echo (new Signer())->sign($secret, (int) $timestamp, $body), "\n";
