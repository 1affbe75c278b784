// The AWS SDK warns (once per process) that its releases after January 2027 need Node 22. The
// machines run Node 20 by design; the warning would only clutter test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
